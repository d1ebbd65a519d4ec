import { invalidArgument } from "@scan-ingest/emulator-shared/status";
import { toTimestamp, type Micros } from "./time.ts";
import {
  arrayValue,
  compareValues,
  doubleValue,
  integerValue,
  isNaNValue,
  isNumber,
  kindOf,
  nullValue,
  valuesEqual,
} from "./values.ts";
import type { FieldTransform, Value } from "./wire.ts";

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

const asDouble = (value: Value): number =>
  kindOf(value) === "integerValue" ? Number(value.integerValue) : (value.doubleValue ?? 0);

/** The outcome of one field transform: the field's new value and the transform result to report. */
export interface Transformed {
  value: Value;
  result: Value;
}

/** Applies one field transform to the field's current value (undefined when absent). */
export function applyTransform(
  current: Value | undefined,
  transform: FieldTransform,
  commitTime: Micros,
): Transformed {
  if (transform.setToServerValue !== undefined) {
    if (transform.setToServerValue !== "REQUEST_TIME") {
      throw invalidArgument(`Unsupported server value: ${transform.setToServerValue}`);
    }
    // REQUEST_TIME is documented "with millisecond precision", the same for every field of one commit.
    const requestTime = Math.floor(commitTime / 1000) * 1000;
    const value: Value = { valueType: "timestampValue", timestampValue: toTimestamp(requestTime) };
    return { value, result: value };
  }
  if (transform.increment) return same(increment(current, numeric(transform.increment, "increment")));
  if (transform.maximum) return same(extreme(current, numeric(transform.maximum, "maximum"), 1));
  if (transform.minimum) return same(extreme(current, numeric(transform.minimum, "minimum"), -1));
  if (transform.appendMissingElements) {
    const elements =
      current && kindOf(current) === "arrayValue" ? [...(current.arrayValue?.values ?? [])] : [];
    for (const element of transform.appendMissingElements.values ?? []) {
      if (!elements.some((existing) => valuesEqual(existing, element))) elements.push(element);
    }
    return { value: arrayValue(elements), result: nullValue() };
  }
  if (transform.removeAllFromArray) {
    const removed = transform.removeAllFromArray.values ?? [];
    const elements = current && kindOf(current) === "arrayValue" ? (current.arrayValue?.values ?? []) : [];
    const kept = elements.filter((element) => !removed.some((value) => valuesEqual(value, element)));
    return { value: arrayValue(kept), result: nullValue() };
  }
  throw invalidArgument(`Field transform on "${transform.fieldPath}" names no transformation`);
}

const same = (value: Value): Transformed => ({ value, result: value });

function numeric(operand: Value, name: string): Value {
  if (!isNumber(operand)) throw invalidArgument(`${name} needs an integer or double operand`);
  return operand;
}

function increment(current: Value | undefined, operand: Value): Value {
  if (!isNumber(current)) return operand;
  const base = current as Value;
  if (kindOf(base) === "integerValue" && kindOf(operand) === "integerValue") {
    const sum = BigInt(base.integerValue ?? 0) + BigInt(operand.integerValue ?? 0);
    return integerValue(sum > INT64_MAX ? INT64_MAX : sum < INT64_MIN ? INT64_MIN : sum);
  }
  return doubleValue(asDouble(base) + asDouble(operand));
}

/** maximum (direction 1) or minimum (-1): NaN wins, and equivalent operands leave the field as it is. */
function extreme(current: Value | undefined, operand: Value, direction: 1 | -1): Value {
  if (!isNumber(current)) return operand;
  const base = current as Value;
  if (isNaNValue(base)) return base;
  if (isNaNValue(operand)) return operand;
  return compareValues(operand, base) * direction > 0 ? operand : base;
}
