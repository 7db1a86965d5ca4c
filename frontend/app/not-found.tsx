import type { Metadata } from 'next';
import NotFoundView from '../components/NotFoundView';

export const metadata: Metadata = { title: 'Page not found · runbox' };

/** Any address the app has no page for: Next answers it with status 404 and this page. */
export default function NotFound() {
  return <NotFoundView />;
}
