variable "project_id" {
  description = "The Google Cloud project to deploy into."
  type        = string
}

variable "region" {
  description = "Region of the function, its trigger and its source bucket. Unset: functions/deploy.json's region."
  type        = string
  default     = null
}

variable "firestore_location" {
  description = "Location of the (default) Firestore database, when this configuration creates it."
  type        = string
  default     = "nam5"
}

variable "create_firestore_database" {
  description = "Create the (default) Firestore database in native mode. Set false when the project already has one."
  type        = bool
  default     = true
}

variable "topic" {
  description = "The topic the scanner publishes to. Unset: functions/deploy.json's topic."
  type        = string
  default     = null
}

variable "dead_letter_topic" {
  description = "Where messages go after max_delivery_attempts failed deliveries. Unset: functions/deploy.json's deadLetterTopic."
  type        = string
  default     = null
}

variable "max_delivery_attempts" {
  description = "Deliveries before a message is dead-lettered (Pub/Sub allows 5..100). Unset: functions/deploy.json's maxDeliveryAttempts."
  type        = number
  default     = null
}

variable "function_environment" {
  description = "Extra configuration for the function (docs/contract.md §6), e.g. { MAX_CLOCK_SKEW_SECONDS = \"600\" }."
  type        = map(string)
  default     = {}
}

variable "api_invokers" {
  description = "Who may call scansApi (roles/run.invoker), as IAM members: user:…, group:…, serviceAccount:…, domain:…. Never public."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for member in var.api_invokers : !contains(["allUsers", "allAuthenticatedUsers"], member)])
    error_message = "api_invokers names principals; allUsers and allAuthenticatedUsers would make the read API public."
  }
}

variable "page_token_secret" {
  description = "HMAC key of scansApi's page tokens (at least 16 characters), stored in Secret Manager, e.g. $(openssl rand -base64 32)."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.page_token_secret) >= 16
    error_message = "page_token_secret must be at least 16 characters (the function refuses a shorter PAGE_TOKEN_SECRET)."
  }
}

variable "observations_to_bigquery" {
  description = "Write every message on the topic to BigQuery (infra/bigquery.tf) for analysis: a BigQuery subscription, its dataset and table. Off by default: it costs per byte published (docs/deploy.md)."
  type        = bool
  default     = false
}

variable "observations_location" {
  description = "Location of the observations dataset when observations_to_bigquery is on, e.g. US, EU or a region."
  type        = string
  default     = "US"
}

variable "observations_retention_days" {
  description = "Days BigQuery keeps each day's observations (partition expiration). Unset: kept until deleted."
  type        = number
  default     = null
  validation {
    condition     = var.observations_retention_days == null || try(var.observations_retention_days >= 1, false)
    error_message = "observations_retention_days is at least 1, or unset to keep every observation."
  }
}

variable "service_ttl_days" {
  description = "Days a service and its history are kept after their last scan (SERVICE_TTL_DAYS, docs/contract.md §3); null keeps them forever. Firestore's TTL policies on expireAt (infra/firestore.tf) delete them."
  type        = number
  default     = null
  validation {
    condition     = var.service_ttl_days == null ? true : (var.service_ttl_days >= 1 && var.service_ttl_days <= 36500 && floor(var.service_ttl_days) == var.service_ttl_days)
    error_message = "service_ttl_days must be a whole number of days from 1 to 36500, or null."
  }
}
