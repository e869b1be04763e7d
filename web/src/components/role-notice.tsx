import { Alert } from './ui/alert';

export function RoleNotice({ role, what }: { role?: string; what: string }) {
  return (
    <Alert variant="info" className="mb-4">
      Your role ({role ?? 'unknown'}) cannot {what}. Ask an admin or owner of this organization.
    </Alert>
  );
}
