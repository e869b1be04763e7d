import type { Metadata, Viewport } from 'next';
import './globals.css';
import { Toaster } from '@/components/ui/toaster';

export const metadata: Metadata = {
  title: { default: 'Voxa', template: '%s · Voxa' },
  description: 'Voxa voice-AI dashboard',
};

export const viewport: Viewport = { themeColor: '#0d1117', width: 'device-width', initialScale: 1 };

const themeScript = `try{if(localStorage.getItem('voxa-theme')==='light')document.documentElement.classList.add('light')}catch(e){}`;

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body className="min-h-screen">
        {children}
        <Toaster />
      </body>
    </html>
  );
}
