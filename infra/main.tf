# ingestScan as a 2nd-gen Cloud Function fed by Eventarc from scan-topic, retrying failed deliveries,
# writing to Firestore with its own least-privilege service account; beside it scansApi, the private
# read-only HTTP API, from the same upload with a read-only account of its own. Build functions/dist first
# (`npm run build`): this uploads that directory as the function's source.

data "google_project" "this" {}

locals {
  # The function's sizing and names, shared with `npm run deploy` (cli/deploy/plan.ts); its `why` says why.
  deploy = jsondecode(file("${path.module}/../functions/deploy.json"))
  # deploy.json's names unless a variable overrides them: that file is their one home.
  region                = coalesce(var.region, local.deploy.region)
  topic                 = coalesce(var.topic, local.deploy.topic)
  dead_letter_topic     = coalesce(var.dead_letter_topic, local.deploy.deadLetterTopic)
  max_delivery_attempts = coalesce(var.max_delivery_attempts, local.deploy.maxDeliveryAttempts)
  apis = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "eventarc.googleapis.com",
    "firestore.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
  ]
  # SERVICE_TTL_DAYS for both functions: ingest stamps expireAt and rejects older scans, the API hides them.
  expiry_environment = var.service_ttl_days == null ? {} : { SERVICE_TTL_DAYS = tostring(var.service_ttl_days) }
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_project_service" "apis" {
  # BigQuery only where the observations go there (bigquery.tf).
  for_each           = toset(concat(local.apis, var.observations_to_bigquery ? ["bigquery.googleapis.com"] : []))
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
  name       = local.topic
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  name       = local.dead_letter_topic
  depends_on = [google_project_service.apis]
}

# A topic without subscriptions drops what it receives: this one keeps dead letters (deploy.json says how long).
resource "google_pubsub_subscription" "dead_letter" {
  name                       = "${local.dead_letter_topic}-sub"
  topic                      = google_pubsub_topic.dead_letter.id
  message_retention_duration = "${local.deploy.deadLetterRetentionSeconds}s"
  ack_deadline_seconds       = local.deploy.deadLetterAckDeadlineSeconds
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
  location                    = local.region
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
  location = local.region

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
    ingress_settings                 = local.deploy.ingress
    service_account_email            = google_service_account.ingest.email
    environment_variables            = merge({ GOOGLE_CLOUD_PROJECT = var.project_id }, local.expiry_environment, var.function_environment)
  }

  event_trigger {
    trigger_region        = local.region
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

# scansApi: the read API, a second function from the same upload. Private: only the principals in
# var.api_invokers may call it (roles/run.invoker on its Cloud Run service); it never grants allUsers or
# allAuthenticatedUsers, and test/deploy.test.ts fails if anything here or in `npm run deploy` does.
resource "google_service_account" "api" {
  account_id   = local.deploy.api.serviceAccount
  display_name = "scansApi function"
}

# Reads documents and runs queries; it cannot write.
resource "google_project_iam_member" "api_firestore" {
  project = var.project_id
  role    = "roles/datastore.viewer"
  member  = "serviceAccount:${google_service_account.api.email}"
}

# The page-token HMAC key. Every instance must share it, so the function pins one version rather than
# "latest": a rotation then redeploys every instance at once instead of mixing keys for a while.
resource "google_secret_manager_secret" "page_token" {
  secret_id = local.deploy.api.pageTokenSecret
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "page_token" {
  secret      = google_secret_manager_secret.page_token.id
  secret_data = var.page_token_secret
}

# The API's account reads this one secret, not every secret in the project.
resource "google_secret_manager_secret_iam_member" "api_page_token" {
  secret_id = google_secret_manager_secret.page_token.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.api.email}"
}

resource "google_cloudfunctions2_function" "scans_api" {
  name     = local.deploy.api.function
  location = local.region

  build_config {
    runtime     = local.deploy.runtime
    entry_point = local.deploy.api.entryPoint
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  # No event_trigger: an HTTP function, reachable only with an identity token of an invoker below.
  service_config {
    available_cpu                    = local.deploy.api.cpu
    available_memory                 = local.deploy.api.memory
    max_instance_request_concurrency = local.deploy.api.concurrency
    min_instance_count               = local.deploy.api.minInstances
    max_instance_count               = local.deploy.api.maxInstances
    timeout_seconds                  = local.deploy.api.timeoutSeconds
    ingress_settings                 = local.deploy.api.ingress
    service_account_email            = google_service_account.api.email
    environment_variables            = merge({ GOOGLE_CLOUD_PROJECT = var.project_id }, local.expiry_environment, var.function_environment)
    secret_environment_variables {
      key        = "PAGE_TOKEN_SECRET"
      project_id = var.project_id
      secret     = google_secret_manager_secret.page_token.secret_id
      version    = google_secret_manager_secret_version.page_token.version
    }
  }

  depends_on = [
    google_project_iam_member.api_firestore,
    google_secret_manager_secret_iam_member.api_page_token,
    google_firestore_database.default,
  ]
}

# A 2nd-gen function is served by a Cloud Run service of the same name: invoking it takes roles/run.invoker
# there. One binding per named principal; the variable's validation refuses the public ones.
resource "google_cloud_run_v2_service_iam_member" "api_invokers" {
  for_each = toset(var.api_invokers)
  project  = var.project_id
  location = google_cloudfunctions2_function.scans_api.location
  name     = google_cloudfunctions2_function.scans_api.name
  role     = "roles/run.invoker"
  member   = each.value
}
