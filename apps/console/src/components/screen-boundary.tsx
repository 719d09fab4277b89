import { Alert, Button, Stack, Text } from '@mantine/core';
import { Component, Suspense, type ErrorInfo, type ReactNode } from 'react';
import { Loading } from './states';

type State = { error: Error | null };

/**
 * What a screen shows when its code cannot be loaded (the network dropped, or a new version of the
 * console replaced the file) or it fails while drawing: the reason and a way out, not a blank page.
 */
class ScreenErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    // Kept for whoever opens the developer tools; the screen itself says what to do.
    console.warn('screen failed', error.message, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <Alert color="red" title="This screen could not be shown" role="alert">
        <Stack gap="xs" align="flex-start">
          <Text size="sm">
            {this.state.error.message}. Reload the page to fetch the console again; if it keeps failing, the
            gateway may be unreachable.
          </Text>
          <Button size="xs" variant="default" onClick={() => window.location.reload()}>
            Reload
          </Button>
        </Stack>
      </Alert>
    );
  }
}

/**
 * A lazily loaded screen: a spinner while its code arrives, a clear error if it cannot. Mount one
 * per path (`key`): the router navigates in a transition, and a boundary already on the page would
 * keep the previous screen shown — and typed into — until the next one's code arrived; a fresh
 * boundary shows its spinner at once, and a failed screen does not hide the next one.
 */
export function ScreenBoundary({ children }: { children: ReactNode }) {
  return (
    <ScreenErrorBoundary>
      <Suspense fallback={<Loading label="Loading the screen" />}>{children}</Suspense>
    </ScreenErrorBoundary>
  );
}
