import { Paper, Text } from '@mantine/core';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ExportView } from '../api/exports.api';
import { exportedRowsPerDay } from '../lib/exports.util';

/** Rows exported per day, from the completed exports given. */
export function RowsPerDayChart({
  exports,
  title,
  id,
}: {
  exports: ExportView[];
  title: string;
  id: string;
}) {
  const data = exportedRowsPerDay(exports, new Date());
  const total = data.reduce((sum, day) => sum + day.rows, 0);
  return (
    <Paper withBorder p="md">
      <Text size="sm" fw={600} mb="xs" id={id}>
        {title}
      </Text>
      {total === 0 ? (
        <Text size="sm" c="dimmed">
          No rows exported in the last {data.length} days.
        </Text>
      ) : (
        <div role="img" aria-labelledby={id} style={{ height: 180 }}>
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={data}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="day" fontSize={11} />
              <YAxis allowDecimals={false} fontSize={11} width={40} />
              <Tooltip />
              <Bar dataKey="rows" name="rows exported" fill="#4c6ef5" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      )}
    </Paper>
  );
}
