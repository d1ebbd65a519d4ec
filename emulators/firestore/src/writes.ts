import {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
} from "@scan-ingest/emulator-shared/status";
import { copyValue, deleteField, getField, setField } from "./fields.ts";
import { parseFieldPath, validateWritableName } from "./paths.ts";
import { checkFields, documentSize, MAX_DOCUMENT_BYTES } from "./size.ts";
import type { DocumentVersion } from "./store.ts";
import { fromTimestamp, toTimestamp, type Micros } from "./time.ts";
import { applyTransform } from "./transforms.ts";
import { fieldsIdentical } from "./values.ts";
import type { Fields, Precondition, Value, Write, WriteResult } from "./wire.ts";

/** The document a write targets. */
export function writeTarget(write: Write): string {
  const name = write.update?.name ?? write.delete ?? write.transform?.document;
  if (!name) throw invalidArgument("A write must name a document to update, delete or transform");
  validateWritableName(name);
  return name;
}

/** The document after a write, or undefined when the write deletes it. */
export interface AppliedWrite {
  document: DocumentVersion | undefined;
  result: WriteResult;
}

/** Applies one write to the current version of its document (pure: the current version is not touched). */
export function applyWrite(
  current: DocumentVersion | undefined,
  write: Write,
  commitTime: Micros,
): AppliedWrite {
  const name = writeTarget(write);
  checkPrecondition(name, current, write.currentDocument);
  if (write.delete !== undefined) return { document: undefined, result: { transformResults: [] } };

  const fields = write.update ? updatedFields(current, write) : copyValue(current?.fields ?? {});
  const transforms = write.updateTransforms ?? write.transform?.fieldTransforms ?? [];
  const transformResults: Value[] = [];
  for (const transform of transforms) {
    const path = parseFieldPath(transform.fieldPath ?? "");
    const { value, result } = applyTransform(getField(fields, path), transform, commitTime);
    setField(fields, path, value);
    transformResults.push(result);
  }

  checkFields(fields);
  const size = documentSize(name, fields);
  if (size > MAX_DOCUMENT_BYTES) {
    throw invalidArgument(
      `Document "${name}" cannot be written because its size (${size} bytes) exceeds the maximum allowed size of ${MAX_DOCUMENT_BYTES} bytes.`,
    );
  }
  // A write that changes nothing keeps the previous update time, as Firestore reports it.
  const unchanged = current !== undefined && fieldsIdentical(current.fields, fields);
  const updateTime = unchanged ? current.updateTime : commitTime;
  const document = { name, fields, createTime: current?.createTime ?? commitTime, updateTime };
  return { document, result: { updateTime: toTimestamp(updateTime), transformResults } };
}

/** A set replaces all fields; with a mask, only the masked paths change (absent in the update: deleted). */
function updatedFields(current: DocumentVersion | undefined, write: Write): Fields {
  const given = write.update?.fields ?? {};
  if (!write.updateMask) return copyValue(given);
  const fields = copyValue(current?.fields ?? {});
  for (const fieldPath of write.updateMask.fieldPaths ?? []) {
    const path = parseFieldPath(fieldPath);
    const value = getField(given, path);
    if (value === undefined) deleteField(fields, path);
    else setField(fields, path, copyValue(value));
  }
  return fields;
}

function checkPrecondition(
  name: string,
  current: DocumentVersion | undefined,
  precondition?: Precondition,
): void {
  if (!precondition) return;
  if (precondition.exists === true && !current) throw notFound(`No document to update: ${name}`);
  if (precondition.exists === false && current) throw alreadyExists(`Document already exists: ${name}`);
  if (precondition.updateTime) {
    const expected = fromTimestamp(precondition.updateTime);
    if (!current || current.updateTime !== expected) {
      throw failedPrecondition(
        `The document "${name}" has a different update time than the precondition requires`,
      );
    }
  }
}
