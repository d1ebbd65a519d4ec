import { status, type UntypedServiceImplementation } from "@grpc/grpc-js";

interface NamedRequest {
  database?: string;
  name?: string;
  parent?: string;
}

/** Serves only one project when one is given (Google's emulator accepts any; so does this one by default). */
export function projectGuard(
  projectId: string | undefined,
  service: UntypedServiceImplementation,
): UntypedServiceImplementation {
  if (!projectId) return service;
  const guarded: UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(service)) {
    guarded[method] = ((
      call: { request?: NamedRequest; emit(event: string, value: unknown): void },
      callback?: (error: unknown) => void,
    ) => {
      const resource = call.request?.database ?? call.request?.name ?? call.request?.parent ?? "";
      const requested = resource.split("/")[1];
      if (requested !== undefined && requested !== projectId) {
        const error = {
          code: status.PERMISSION_DENIED,
          details: `This emulator serves project "${projectId}", not "${requested}".`,
        };
        if (callback) callback(error);
        else call.emit("error", error);
        return;
      }
      (handler as (call: unknown, callback?: unknown) => void)(call, callback);
    }) as typeof handler;
  }
  return guarded;
}
