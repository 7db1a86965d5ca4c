import type { Metadata } from 'next';
import Playground from '../../../components/Playground';

export const metadata: Metadata = { title: 'Shared code · runbox playground' };

/** A shared snippet: the playground, with the snippet loaded in the browser. */
export default async function SnippetPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <Playground snippetId={id} />;
}
