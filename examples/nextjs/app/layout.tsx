// The root layout every App Router app has.
import type { ReactNode } from 'react'

export const metadata = { title: 'Projects' }

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  )
}
