# ingestScan as a 2nd-gen Cloud Function fed by Eventarc from scan-topic, retrying failed deliveries,
# writing to Firestore with its own least-privilege service account. Build functions/dist first
# (`npm run build`): this uploads that directory as the function's source.

data "google_project" "this" {}

locals {
  # The function's sizing and names, shared with `npm run deploy` (cli/deploy-plan.ts); README "Deploy" says why.
  deploy = jsondecode(file("${path.module}/deploy.json"))
  apis = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "eventarc.googleapis.com",
    "firestore.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
  ]
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_project_service" "apis" {
  for_each           = toset(local.apis)
  service            = each.value
  disable_on_destroy = false
}

resource "google_firestore_database" "default" {
  count           = var.create_firestore_database ? 1 : 0
  name            = "(default)"
  location_id     = var.firestore_location
  type            = "FIRESTORE_NATIVE"
  deletion_policy = "ABANDON"
  depends_on      = [google_project_service.apis]
}

resource "google_pubsub_topic" "scans" {
  name       = var.topic
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  name       = var.dead_letter_topic
  depends_on = [google_project_service.apis]
}

# A topic without subscriptions drops what it receives: this one keeps dead letters for 7 days.
resource "google_pubsub_subscription" "dead_letter" {
  name                       = "${var.dead_letter_topic}-sub"
  topic                      = google_pubsub_topic.dead_letter.id
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60
}

# Pub/Sub's own agent forwards dead letters: it must publish to the dead-letter topic.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  topic  = google_pubsub_topic.dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_agent
}

resource "google_service_account" "ingest" {
  account_id   = "ingest-scan"
  display_name = "ingestScan function"
}

# Read and write documents; nothing else.
resource "google_project_iam_member" "ingest_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.ingest.email}"
}

resource "google_service_account" "trigger" {
  account_id   = "ingest-scan-trigger"
  display_name = "Eventarc trigger of ingestScan"
}

# Eventarc's push subscription calls the function's Cloud Run service as this account.
resource "google_project_iam_member" "trigger_invoker" {
  project = var.project_id
  role    = "roles/run.invoker"
  member  = "serviceAccount:${google_service_account.trigger.email}"
}

resource "google_project_iam_member" "trigger_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.trigger.email}"
}

resource "google_storage_bucket" "source" {
  name                        = "${var.project_id}-ingest-scan-source"
  location                    = var.region
  uniform_bucket_level_access = true
  force_destroy               = true
}

data "archive_file" "source" {
  type        = "zip"
  source_dir  = "${path.module}/../functions/dist"
  output_path = "${path.module}/.terraform/ingest-scan-source.zip"
}

# The object name carries the hash, so a new build redeploys the function.
resource "google_storage_bucket_object" "source" {
  name   = "ingest-scan-${data.archive_file.source.output_md5}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}

resource "google_cloudfunctions2_function" "ingest_scan" {
  name     = local.deploy.function
  location = var.region

  build_config {
    runtime     = local.deploy.runtime
    entry_point = local.deploy.entryPoint
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_cpu                    = local.deploy.cpu
    available_memory                 = local.deploy.memory
    max_instance_request_concurrency = local.deploy.concurrency
    min_instance_count               = local.deploy.minInstances
    max_instance_count               = local.deploy.maxInstances
    timeout_seconds                  = local.deploy.timeoutSeconds
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    service_account_email            = google_service_account.ingest.email
    environment_variables            = merge({ GOOGLE_CLOUD_PROJECT = var.project_id }, var.function_environment)
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.scans.id
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.trigger.email
  }

  depends_on = [
    google_project_iam_member.ingest_firestore,
    google_project_iam_member.trigger_invoker,
    google_project_iam_member.trigger_receiver,
    google_firestore_database.default,
  ]
}
