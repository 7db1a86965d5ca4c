import type { Metadata } from 'next';
import ProblemView from '../../../components/ProblemView';

export const metadata: Metadata = { title: 'Problem · runbox' };

export default async function ProblemPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <ProblemView slug={slug} />;
}
