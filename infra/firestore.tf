# The database's indexes, read from firestore.indexes.json, the one home of them that the Firebase CLI
# (`firebase deploy --only firestore:indexes`) deploys too: the composites the listings need, every one that
# ends in a time starting with ip or shard, and the single-field exemptions that keep sequential fields out
# of any index (docs/data.md; docs/capacity.md derives the write ceiling this gives).

locals {
  firestore_indexes = jsondecode(file("${path.module}/../firestore.indexes.json"))
}

resource "google_firestore_index" "listings" {
  for_each = {
    for index in local.firestore_indexes.indexes :
    join(",", concat([index.collectionGroup], [for field in index.fields : "${field.fieldPath}:${field.order}"])) => index
  }
  database    = "(default)"
  collection  = each.value.collectionGroup
  query_scope = each.value.queryScope

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value.fieldPath
      order      = fields.value.order
    }
  }
  depends_on = [google_firestore_database.default]
}

resource "google_firestore_field" "overrides" {
  for_each   = { for override in local.firestore_indexes.fieldOverrides : "${override.collectionGroup}.${override.fieldPath}" => override }
  database   = "(default)"
  collection = each.value.collectionGroup
  field      = each.value.fieldPath

  # `"ttl": true` in the file: Firestore's TTL policy deletes a document once this timestamp has passed
  # (SERVICE_TTL_DAYS, docs/contract.md §3).
  dynamic "ttl_config" {
    for_each = lookup(each.value, "ttl", false) ? [true] : []
    content {}
  }

  # No index entries in the file: the field is exempt from single-field indexing.
  index_config {
    dynamic "indexes" {
      for_each = each.value.indexes
      content {
        order       = indexes.value.order
        query_scope = indexes.value.queryScope
      }
    }
  }
  depends_on = [google_firestore_database.default]
}
