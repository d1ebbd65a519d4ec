import { status, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";

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
export const unimplemented = (message: string): ApiError => new ApiError(status.UNIMPLEMENTED, message);
export const outOfRange = (message: string): ApiError => new ApiError(status.OUT_OF_RANGE, message);
export const failedPrecondition = (message: string): ApiError =>
  new ApiError(status.FAILED_PRECONDITION, message);

/** Turns a synchronous request handler into a grpc-js unary handler; thrown ApiErrors become statuses. */
export function unary<Request, Response>(
  handle: (request: Request) => Response,
): (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>) => void {
  return (call, callback) => {
    try {
      callback(null, handle(call.request));
    } catch (error) {
      callback(asServiceError(error));
    }
  };
}

/** The status-carrying form of any error thrown by a handler. */
export function asServiceError(error: unknown): { code: status; details: string; message: string } {
  if (error instanceof ApiError) return { code: error.code, details: error.message, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: status.INTERNAL, details: message, message };
}
