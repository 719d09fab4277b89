import { Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** One labelled fact of a request under review (what an approver reads before deciding). */
export function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </div>
  );
}
