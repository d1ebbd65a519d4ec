// gRPC statuses of both embedded emulators: the error a handler throws, the status the client receives,
// and the unary handler that turns one into the other.
import { status, type handleUnaryCall } from "@grpc/grpc-js";

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
export const permissionDenied = (message: string): ApiError =>
  new ApiError(status.PERMISSION_DENIED, message);
export const failedPrecondition = (message: string): ApiError =>
  new ApiError(status.FAILED_PRECONDITION, message);
export const aborted = (message: string): ApiError => new ApiError(status.ABORTED, message);
export const outOfRange = (message: string): ApiError => new ApiError(status.OUT_OF_RANGE, message);
export const unimplemented = (message: string): ApiError => new ApiError(status.UNIMPLEMENTED, message);
export const unavailable = (message: string): ApiError => new ApiError(status.UNAVAILABLE, message);

/** The status-carrying form of any error thrown by a handler: an ApiError's code, else INTERNAL. */
export function asServiceError(error: unknown): { code: status; details: string; message: string } {
  if (error instanceof ApiError) return { code: error.code, details: error.message, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: status.INTERNAL, details: message, message };
}

/**
 * A grpc-js unary handler from a function of the request; what it throws or rejects with becomes a status.
 * A synchronous result is answered at once, a promise when it settles.
 */
export function unary<Request, Response>(
  handle: (request: Request) => Response | Promise<Response>,
): handleUnaryCall<Request, Response> {
  return (call, callback) => {
    let response: Response | Promise<Response>;
    try {
      response = handle(call.request);
    } catch (error) {
      callback(asServiceError(error));
      return;
    }
    if (response instanceof Promise)
      response.then(
        (value) => callback(null, value),
        (error: unknown) => callback(asServiceError(error)),
      );
    else callback(null, response);
  };
}
