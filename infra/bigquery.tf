# Every observation, for analysis: a BigQuery subscription on the scanner's topic writes each message as
# published — stored, stale, duplicate or rejected alike — with its id and publish time, into one table.
# Firestore keeps only the newest scan per service; this keeps all of them. Off unless
# var.observations_to_bigquery: it costs per byte published (docs/deploy.md, "Every observation in BigQuery").

locals {
  # The dataset, table and subscription names; deploy.json is their one home, as for the topics.
  observations       = local.deploy.observations
  observations_count = var.observations_to_bigquery ? 1 : 0
}

resource "google_bigquery_dataset" "observations" {
  count       = local.observations_count
  dataset_id  = local.observations.dataset
  location    = var.observations_location
  description = "Every message published to the scanner's topic, written by a Pub/Sub BigQuery subscription."
  depends_on  = [google_project_service.apis]
}

# The columns a BigQuery subscription writes with write_metadata (https://cloud.google.com/pubsub/docs/bigquery):
# data as BYTES, so that a message that is not UTF-8 JSON (a reject, docs/contract.md §1) is kept too instead of
# failing its write; attributes as JSON. One partition a day of publish time, so a day's query reads one day.
resource "google_bigquery_table" "observations" {
  count      = local.observations_count
  dataset_id = google_bigquery_dataset.observations[0].dataset_id
  table_id   = local.observations.table
  # Turning var.observations_to_bigquery off later must not drop the record: Terraform refuses until this is false.
  deletion_protection = true

  time_partitioning {
    type          = "DAY"
    field         = "publish_time"
    expiration_ms = var.observations_retention_days == null ? null : var.observations_retention_days * 86400000
  }

  schema = jsonencode([
    { name = "subscription_name", type = "STRING", mode = "NULLABLE", description = "The BigQuery subscription that wrote the row." },
    { name = "message_id", type = "STRING", mode = "NULLABLE", description = "Pub/Sub's message id: the id rejects/{messageId} uses." },
    { name = "publish_time", type = "TIMESTAMP", mode = "NULLABLE", description = "When Pub/Sub accepted the message." },
    { name = "data", type = "BYTES", mode = "NULLABLE", description = "The message as published: one scan as UTF-8 JSON (docs/contract.md §1)." },
    { name = "attributes", type = "JSON", mode = "NULLABLE", description = "The message's attributes and ordering key." },
  ])
}

# Pub/Sub's service agent writes the rows: BigQuery Data Editor on this table alone, which also lets it read the
# table's metadata (bigquery.tables.get) to check the schema, so no project-wide Metadata Viewer is needed.
resource "google_bigquery_table_iam_member" "observations_writer" {
  count      = local.observations_count
  project    = var.project_id
  dataset_id = google_bigquery_table.observations[0].dataset_id
  table_id   = google_bigquery_table.observations[0].table_id
  role       = "roles/bigquery.dataEditor"
  member     = local.pubsub_agent
}

resource "google_pubsub_subscription" "observations" {
  count = local.observations_count
  name  = local.observations.subscription
  topic = google_pubsub_topic.scans.id

  bigquery_config {
    table          = "${google_bigquery_table.observations[0].project}.${google_bigquery_table.observations[0].dataset_id}.${google_bigquery_table.observations[0].table_id}"
    write_metadata = true
  }

  # A message BigQuery keeps refusing goes where ingestScan's do, after as many attempts, instead of blocking.
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = local.max_delivery_attempts
  }

  depends_on = [google_bigquery_table_iam_member.observations_writer]
}

# Dead letters move only if Pub/Sub's agent may also acknowledge on this subscription (it publishes to the
# dead-letter topic through main.tf's dead_letter_publisher).
resource "google_pubsub_subscription_iam_member" "observations_dead_letter" {
  count        = local.observations_count
  subscription = google_pubsub_subscription.observations[0].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}
