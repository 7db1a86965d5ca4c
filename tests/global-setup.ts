export default async function globalSetup(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the runbox test suite runs as root: it creates real users');
}
