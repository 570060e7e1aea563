/** A text field of a submitted form: its value, or `fallback` when absent (or, oddly, a file). */
export function textField(form: FormData, name: string, fallback = ''): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : fallback;
}
