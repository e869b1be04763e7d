'use client';

import * as React from 'react';
import { UserPlus, Mail, Users } from 'lucide-react';
import { PageHeader, EmptyState } from '@/components/page-header';
import { Button } from '@/components/ui/button';
import { Input, NativeSelect } from '@/components/ui/input';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Alert } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { TableSkeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Field } from '@/components/field';
import { CopyButton } from '@/components/copy-button';
import { ActionsHead, DeleteButton, ListError } from '@/components/list-parts';
import { api, errorMessage } from '@/lib/api';
import { inviteSchema } from '@/lib/schemas';
import { useFormSubmit } from '@/lib/use-form-submit';
import { useFetch } from '@/lib/use-fetch';
import { useSession } from '@/lib/session-store';
import { canAdmin, ROLES } from '@/lib/roles';
import { toast } from '@/lib/toast-store';
import type { Invitation, Member, Role } from '@/lib/types';
import { formatDate } from '@/lib/utils';

function InviteForm({ onInvited, myRole }: { onInvited: (i: Invitation) => void; myRole?: Role }) {
  const [email, setEmail] = React.useState('');
  const [role, setRole] = React.useState<Role>('member');
  const [created, setCreated] = React.useState<Invitation | null>(null);
  const { errors, error, busy, validate, run } = useFormSubmit();

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const data = validate(inviteSchema, { email, role });
    if (!data) return;
    await run(async () => {
      const inv = await api.post<Invitation>('/org/invitation', data);
      setCreated(inv);
      onInvited(inv);
      setEmail('');
    });
  };

  const url = created ? created.url || `${window.location.origin}/invite/?token=${encodeURIComponent(created.token ?? '')}` : '';

  return (
    <Card>
      <CardHeader>
        <CardTitle>Invite someone</CardTitle>
        <CardDescription>They get a link valid for 7 days. Share it yourself; it is shown only once.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        <form onSubmit={submit} className="grid gap-3 sm:grid-cols-[1fr_10rem_auto] sm:items-end" noValidate>
          <Field id="inviteEmail" label="Email" error={errors.email}>
            <Input type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="teammate@example.com" />
          </Field>
          <Field id="inviteRole" label="Role" error={errors.role}>
            <NativeSelect value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r} disabled={r === 'owner' && myRole !== 'owner'}>
                  {r}
                </option>
              ))}
            </NativeSelect>
          </Field>
          <Button type="submit" disabled={busy} data-testid="invite-submit" className={errors.email || errors.role ? 'sm:mb-5' : undefined}>
            <UserPlus aria-hidden /> {busy ? 'Inviting…' : 'Invite'}
          </Button>
        </form>
        {error && <Alert>{error}</Alert>}
        {created && (
          <div className="space-y-2 rounded-md border border-primary/40 bg-primary/5 p-3">
            <p className="text-sm">
              Invitation for <strong>{created.email}</strong> as <strong>{created.role}</strong>. Send them this link:
            </p>
            <div className="flex items-center gap-2">
              <code data-testid="invite-url" className="min-w-0 flex-1 break-all rounded bg-muted/60 px-2 py-1.5 font-mono text-xs">
                {url}
              </code>
              <CopyButton value={url} />
            </div>
          </div>
        )}
      </CardContent>
    </Card>
  );
}

export default function MembersPage() {
  const session = useSession((s) => s.session);
  const myRole = session?.role;
  const admin = canAdmin(myRole);
  const members = useFetch((signal) => api.get<Member[]>('/org/member', undefined, signal), []);
  const invites = useFetch((signal) => (admin ? api.get<Invitation[]>('/org/invitation', undefined, signal) : Promise.resolve([] as Invitation[])), [admin]);
  const [removing, setRemoving] = React.useState<Member | null>(null);
  const [revoking, setRevoking] = React.useState<Invitation | null>(null);
  const [busyRole, setBusyRole] = React.useState<string | null>(null);

  const changeRole = async (m: Member, role: Role) => {
    setBusyRole(m.userId);
    try {
      const updated = await api.patch<Member>(`/org/member/${m.userId}`, { role });
      members.setData((d) => (d ?? []).map((x) => (x.userId === m.userId ? { ...x, ...updated, role: updated.role ?? role } : x)));
      toast.success('Role updated', `${m.name || m.email} is now ${role}.`);
    } catch (e) {
      toast.error('Could not change the role', errorMessage(e));
    } finally {
      setBusyRole(null);
    }
  };

  return (
    <>
      <PageHeader title="Members" description="People in this organization and what they may do." />
      <div className="space-y-6">
        {admin && <InviteForm myRole={myRole} onInvited={(i) => invites.setData((d) => [{ ...i, token: undefined }, ...(d ?? [])])} />}
        <Card>
          <CardHeader>
            <CardTitle>Members</CardTitle>
            <CardDescription>viewer: read only · member: build assistants and make calls · admin: keys, members, settings · owner: everything</CardDescription>
          </CardHeader>
          <ListError error={members.error} className="px-5 pb-4" />
          {members.loading && !members.data && <TableSkeleton rows={3} />}
          {members.data && members.data.length === 0 && <EmptyState icon={<Users />} title="No members" />}
          {members.data && members.data.length > 0 && (
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead>Name</TableHead>
                  <TableHead>Role</TableHead>
                  <TableHead className="hidden sm:table-cell">Joined</TableHead>
                  <ActionsHead />
                </TableRow>
              </TableHeader>
              <TableBody>
                {members.data.map((m) => {
                  const me = m.userId === session?.user.id;
                  const canChange = admin && (myRole === 'owner' || m.role !== 'owner');
                  return (
                    <TableRow key={m.userId} data-testid="member-row" data-email={m.email}>
                      <TableCell>
                        <span className="font-medium">{m.name || m.email}</span> {me && <Badge variant="secondary">you</Badge>}
                        <span className="block text-xs text-muted-foreground">{m.email}</span>
                      </TableCell>
                      <TableCell>
                        {canChange ? (
                          <>
                            <label htmlFor={`role-${m.userId}`} className="sr-only">
                              Role of {m.email}
                            </label>
                            <NativeSelect
                              id={`role-${m.userId}`}
                              data-testid="member-role"
                              className="h-8 w-32"
                              value={m.role}
                              disabled={busyRole === m.userId}
                              onChange={(e) => changeRole(m, e.target.value as Role)}
                            >
                              {ROLES.map((r) => (
                                <option key={r} value={r} disabled={r === 'owner' && myRole !== 'owner'}>
                                  {r}
                                </option>
                              ))}
                            </NativeSelect>
                          </>
                        ) : (
                          <Badge variant={m.role === 'owner' ? 'default' : 'secondary'}>{m.role}</Badge>
                        )}
                      </TableCell>
                      <TableCell className="hidden text-muted-foreground sm:table-cell">{formatDate(m.createdAt)}</TableCell>
                      <TableCell>
                        {(canChange || me) && (
                          <DeleteButton label={me ? 'Leave the organization' : `Remove ${m.email}`} testId="remove-member" onClick={() => setRemoving(m)} />
                        )}
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          )}
        </Card>

        {admin && (
          <Card>
            <CardHeader>
              <CardTitle>Pending invitations</CardTitle>
            </CardHeader>
            <ListError error={invites.error} className="px-5 pb-4" />
            {invites.loading && !invites.data && <TableSkeleton rows={2} />}
            {invites.data && invites.data.length === 0 && (
              <CardContent>
                <p className="text-sm text-muted-foreground">No pending invitations.</p>
              </CardContent>
            )}
            {invites.data && invites.data.length > 0 && (
              <Table>
                <TableHeader>
                  <TableRow>
                    <TableHead>Email</TableHead>
                    <TableHead>Role</TableHead>
                    <TableHead className="hidden sm:table-cell">Expires</TableHead>
                    <ActionsHead />
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {invites.data.map((i) => (
                    <TableRow key={i.id} data-testid="invitation-row">
                      <TableCell>
                        <span className="inline-flex items-center gap-2">
                          <Mail className="size-4 text-muted-foreground" aria-hidden />
                          {i.email}
                        </span>
                      </TableCell>
                      <TableCell>
                        <Badge variant="secondary">{i.role}</Badge>
                      </TableCell>
                      <TableCell className="hidden text-muted-foreground sm:table-cell">{formatDate(i.expiresAt)}</TableCell>
                      <TableCell>
                        <DeleteButton label={`Revoke the invitation for ${i.email}`} testId="revoke-invitation" onClick={() => setRevoking(i)} />
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            )}
          </Card>
        )}
      </div>
      <ConfirmDialog
        open={removing !== null}
        onOpenChange={(o) => !o && setRemoving(null)}
        title={removing?.userId === session?.user.id ? 'Leave this organization?' : `Remove ${removing?.email}?`}
        description="They lose access at once; their sessions in this organization end."
        confirmLabel={removing?.userId === session?.user.id ? 'Leave' : 'Remove'}
        onConfirm={async () => {
          if (!removing) return;
          await api.del(`/org/member/${removing.userId}`);
          if (removing.userId === session?.user.id) {
            window.location.assign('/');
            return;
          }
          members.setData((d) => (d ?? []).filter((x) => x.userId !== removing.userId));
          toast.success('Member removed');
        }}
      />
      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(o) => !o && setRevoking(null)}
        title={`Revoke the invitation for ${revoking?.email}?`}
        description="The link stops working."
        confirmLabel="Revoke"
        onConfirm={async () => {
          if (!revoking) return;
          await api.del(`/org/invitation/${revoking.id}`);
          invites.setData((d) => (d ?? []).filter((x) => x.id !== revoking.id));
          toast.success('Invitation revoked');
        }}
      />
    </>
  );
}
