import { notifications } from '@mantine/notifications';
import { describeError } from '../api/api-error';

/** A success message that says what happened. */
export const notifySuccess = (message: string): void => {
  notifications.show({ color: 'green', title: 'Done', message, autoClose: 5000 });
};

/** A failure message with the reason the service gave. */
export const notifyError = (what: string, error: unknown): void => {
  notifications.show({ color: 'red', title: what, message: describeError(error), autoClose: 10000 });
};
