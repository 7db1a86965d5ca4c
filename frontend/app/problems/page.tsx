import type { Metadata } from 'next';
import ProblemList from '../../components/ProblemList';

export const metadata: Metadata = { title: 'Problems · runbox' };

export default function ProblemsPage() {
  return <ProblemList />;
}
