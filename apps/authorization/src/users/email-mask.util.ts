/** `zoe@example.com` → `z***@example.com`: what events and logs carry instead of the address. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const first = [...local][0] ?? '';
  return `${first === '*' ? '' : first}***@${email.slice(at + 1)}`;
}
