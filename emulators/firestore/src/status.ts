import { status } from "@grpc/grpc-js";

/** An error that reaches the client as a gRPC status with this code and message. */
export class ApiError extends Error {
  readonly code: status;
  constructor(code: status, message: string) {
    super(message);
    this.code = code;
  }
}

export const invalidArgument = (message: string): ApiError => new ApiError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string): ApiError => new ApiError(status.NOT_FOUND, message);
export const alreadyExists = (message: string): ApiError => new ApiError(status.ALREADY_EXISTS, message);
export const failedPrecondition = (message: string): ApiError =>
  new ApiError(status.FAILED_PRECONDITION, message);
export const aborted = (message: string): ApiError => new ApiError(status.ABORTED, message);
export const unavailable = (message: string): ApiError => new ApiError(status.UNAVAILABLE, message);
export const unimplemented = (message: string): ApiError => new ApiError(status.UNIMPLEMENTED, message);
export const permissionDenied = (message: string): ApiError =>
  new ApiError(status.PERMISSION_DENIED, message);

/** The status-carrying form of any error thrown by a handler. */
export function asServiceError(error: unknown): { code: status; details: string; message: string } {
  if (error instanceof ApiError) return { code: error.code, details: error.message, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: status.INTERNAL, details: message, message };
}
