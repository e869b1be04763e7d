import type { Resource } from '@/lib/types';

/** The org's assistants as <option>s of a native select, by name. */
export function AssistantOptions({ assistants }: { assistants: Resource[] }) {
  return (
    <>
      {assistants.map((a) => (
        <option key={a.id} value={a.id}>
          {String(a.name || 'Unnamed assistant')}
        </option>
      ))}
    </>
  );
}
