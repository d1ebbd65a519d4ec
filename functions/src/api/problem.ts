// RFC 9457 problem details: every error the API answers, named by what was wrong and what it must be.

/** The body of every error response (`application/problem+json`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The request parameter at fault, when one is. */
  parameter?: string;
}

// With type "about:blank", RFC 9457 section 4.2.1 wants the title to be the status's own phrase.
const titles: Record<number, string> = {
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** A refusal the router turns into a problem response; `allow` becomes the Allow header of a 405. */
export class ProblemError extends Error {
  readonly status: number;
  readonly parameter: string | undefined;
  readonly allow: readonly string[] | undefined;
  constructor(
    status: number,
    detail: string,
    options: { parameter?: string; allow?: readonly string[] } = {},
  ) {
    super(detail);
    this.name = "ProblemError";
    this.status = status;
    this.parameter = options.parameter;
    this.allow = options.allow;
  }
}

/** A 400 naming the parameter, what it must be and (quoted, cut to 80 characters) what it was. */
export function badParameter(parameter: string, mustBe: string, got?: string): ProblemError {
  const quoted =
    got === undefined ? "" : `, got ${JSON.stringify(got.length > 80 ? `${got.slice(0, 80)}…` : got)}`;
  return new ProblemError(400, `${parameter} must be ${mustBe}${quoted}`, { parameter });
}

/** The problem document of a refusal. */
export function toProblem(error: ProblemError): Problem {
  return {
    type: "about:blank",
    title: titles[error.status] ?? "Error",
    status: error.status,
    detail: error.message,
    ...(error.parameter !== undefined && { parameter: error.parameter }),
  };
}
