import type { Metadata } from 'next';
import PackageAdmin from '../../../components/PackageAdmin';

export const metadata: Metadata = { title: 'Problem packages · runbox', robots: { index: false } };

export default function AdminProblemsPage() {
  return <PackageAdmin />;
}
