# Metrics, alerts and a dashboard for ingestScan, built on the one JSON line it logs per message
# (functions/src/log.ts; docs/configuration.md, "Logs"). test/monitoring.test.ts runs the function, turns its real stdout lines
# into the LogEntries Cloud Logging makes of them, and evaluates every filter and extractor here against them.
# Variables live in this file so that monitoring can be read, and removed, as one piece.

variable "notification_channels" {
  description = "Monitoring notification channel ids (projects/P/notificationChannels/N) every alert notifies; none by default."
  type        = list(string)
  default     = []
}

variable "alert_failed_per_second" {
  description = "Alert when failed deliveries (not acknowledged, Pub/Sub redelivers) exceed this rate over 5 minutes."
  type        = number
  default     = 0.1
}

variable "alert_unacked_age_seconds" {
  description = "Alert when the oldest unacknowledged message on the trigger's subscription is older than this for 5 minutes."
  type        = number
  default     = 600
}

variable "alert_no_stored_minutes" {
  description = "Alert when no scan has been stored for this many minutes (the freshness of services)."
  type        = number
  default     = 15
}

variable "alert_lag_p99_seconds" {
  description = "Alert when the 99th percentile of publish-to-stored lag stays above this for 10 minutes."
  type        = number
  default     = 300
}

locals {
  # A 2nd-gen function runs as the Cloud Run service of the same name: its stdout lines are LogEntries of resource
  # type cloud_run_revision, with severity lifted out of the JSON and every other field in jsonPayload.
  ingest_logs = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${google_cloudfunctions2_function.ingest_scan.name}\""

  # Eventarc creates and names the trigger's push subscription (eventarc-REGION-TRIGGER-sub-N, TRIGGER starting with
  # the function's name); Terraform cannot read it, so it is matched by that name. `terraform output dead_letter_setup`
  # prints the real one.
  trigger_subscription = "resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=monitoring.regex.full_match(\"eventarc-${local.region}-${google_cloudfunctions2_function.ingest_scan.name}-.*\")"
  dead_letter_subscription = "resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=\"${google_pubsub_subscription.dead_letter.name}\""
}

# Every message, by outcome: stored, stale, duplicate, rejected, failed.
resource "google_logging_metric" "messages" {
  name        = "ingest_scan_messages"
  description = "Messages ingestScan handled, by outcome (a failed one is redelivered and counted again)."
  filter      = "${local.ingest_logs} AND jsonPayload.outcome:*"
  label_extractors = {
    outcome = "EXTRACT(jsonPayload.outcome)"
  }
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key        = "outcome"
      value_type = "STRING"
    }
  }
}

# Rejected messages by the contract's reason code.
resource "google_logging_metric" "rejects" {
  name        = "ingest_scan_rejects"
  description = "Messages kept in rejects, by reason."
  filter      = "${local.ingest_logs} AND jsonPayload.outcome=\"rejected\""
  label_extractors = {
    reason = "EXTRACT(jsonPayload.reason)"
  }
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key        = "reason"
      value_type = "STRING"
    }
  }
}

# Publish to stored, per stored scan: how far services runs behind the scanner.
resource "google_logging_metric" "ingest_lag" {
  name            = "ingest_scan_lag"
  description     = "Milliseconds from a message's publishTime to its scan being stored (lagMs of stored lines)."
  filter          = "${local.ingest_logs} AND jsonPayload.outcome=\"stored\" AND jsonPayload.lagMs:*"
  value_extractor = "EXTRACT(jsonPayload.lagMs)"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "ms"
  }
  # 1 ms to 1.5^50 ms (about 7 days, Pub/Sub's longest retention) in 50 buckets.
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 50
      growth_factor      = 1.5
      scale              = 1
    }
  }
}

# Time spent in the function per message, by outcome.
resource "google_logging_metric" "latency" {
  name            = "ingest_scan_latency"
  description     = "Milliseconds ingestScan spent on one message (latencyMs), by outcome."
  filter          = "${local.ingest_logs} AND jsonPayload.latencyMs:*"
  value_extractor = "EXTRACT(jsonPayload.latencyMs)"
  label_extractors = {
    outcome = "EXTRACT(jsonPayload.outcome)"
  }
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "ms"
    labels {
      key        = "outcome"
      value_type = "STRING"
    }
  }
  # 0.1 ms to 0.1 × 1.5^40 ms (about 1.9 h; the function's timeout is far below) in 40 buckets.
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 40
      growth_factor      = 1.5
      scale              = 0.1
    }
  }
}

resource "google_monitoring_alert_policy" "failed_deliveries" {
  display_name          = "ingest-scan: failed deliveries"
  combiner              = "OR"
  notification_channels = var.notification_channels
  documentation {
    mime_type = "text/markdown"
    content   = "ingestScan is failing deliveries (outcome failed: not acknowledged, Pub/Sub redelivers). Logs: `jsonPayload.outcome=\"failed\"`, field `error`. After max_delivery_attempts they are dead-lettered."
  }
  conditions {
    display_name = "failed deliveries above ${var.alert_failed_per_second}/s"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.messages.name}\" AND ${local.ingest_logs} AND metric.labels.outcome=\"failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_failed_per_second
      duration        = "300s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  display_name          = "ingest-scan: messages dead-lettered"
  combiner              = "OR"
  notification_channels = var.notification_channels
  documentation {
    mime_type = "text/markdown"
    content   = "Messages failed every delivery attempt and wait in ${google_pubsub_subscription.dead_letter.name}. Find why in the failed lines (`jsonPayload.outcome=\"failed\"`), fix, then republish them to the topic."
  }
  conditions {
    display_name = "undelivered messages in ${google_pubsub_subscription.dead_letter.name}"
    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND ${local.dead_letter_subscription}"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "trigger_backlog_age" {
  display_name          = "ingest-scan: oldest unacknowledged message"
  combiner              = "OR"
  notification_channels = var.notification_channels
  documentation {
    mime_type = "text/markdown"
    content   = "The trigger's subscription holds a message older than ${var.alert_unacked_age_seconds} s: the function is behind (too few instances, Firestore slow) or failing it repeatedly."
  }
  conditions {
    display_name = "oldest unacked message older than ${var.alert_unacked_age_seconds} s"
    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND ${local.trigger_subscription}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_unacked_age_seconds
      duration        = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "no_stored_scans" {
  display_name          = "ingest-scan: no scan stored"
  combiner              = "OR"
  notification_channels = var.notification_channels
  documentation {
    mime_type = "text/markdown"
    content   = "No scan has been stored for ${var.alert_no_stored_minutes} minutes: the scanner stopped publishing, the trigger stopped delivering, or every message is stale, rejected or failing (see the messages-by-outcome chart)."
  }
  conditions {
    display_name = "no stored outcome for ${var.alert_no_stored_minutes} min"
    condition_absent {
      filter   = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.messages.name}\" AND ${local.ingest_logs} AND metric.labels.outcome=\"stored\""
      duration = "${var.alert_no_stored_minutes * 60}s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "ingest_lag" {
  display_name          = "ingest-scan: ingest lag"
  combiner              = "OR"
  notification_channels = var.notification_channels
  documentation {
    mime_type = "text/markdown"
    content   = "The 99th percentile of publish-to-stored lag is above ${var.alert_lag_p99_seconds} s: stored scans arrive late."
  }
  conditions {
    display_name = "p99 lag above ${var.alert_lag_p99_seconds} s"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.ingest_lag.name}\" AND ${local.ingest_logs}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_lag_p99_seconds * 1000
      duration        = "600s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_PERCENTILE_99"
      }
    }
  }
}

resource "google_monitoring_dashboard" "ingest" {
  dashboard_json = jsonencode({
    displayName = "ingest-scan"
    mosaicLayout = {
      columns = 12
      tiles = [
        {
          xPos = 0, yPos = 0, width = 6, height = 4
          widget = {
            title = "Messages per second by outcome"
            xyChart = {
              dataSets = [{
                plotType = "STACKED_AREA"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter      = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.messages.name}\" AND ${local.ingest_logs}"
                    aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.outcome"] }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 6, yPos = 0, width = 6, height = 4
          widget = {
            title = "Rejects per second by reason"
            xyChart = {
              dataSets = [{
                plotType = "STACKED_BAR"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter      = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.rejects.name}\" AND ${local.ingest_logs}"
                    aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.reason"] }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 0, yPos = 4, width = 6, height = 4
          widget = {
            title = "Ingest lag, publish to stored (ms): p50, p95, p99"
            xyChart = {
              dataSets = [for percentile in ["50", "95", "99"] : {
                plotType       = "LINE"
                legendTemplate = "p${percentile}"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter      = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.ingest_lag.name}\" AND ${local.ingest_logs}"
                    aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_DELTA", crossSeriesReducer = "REDUCE_PERCENTILE_${percentile}" }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 6, yPos = 4, width = 6, height = 4
          widget = {
            title = "Time in the function per message (ms): p50, p99"
            xyChart = {
              dataSets = [for percentile in ["50", "99"] : {
                plotType       = "LINE"
                legendTemplate = "p${percentile}"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter      = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.latency.name}\" AND ${local.ingest_logs}"
                    aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_DELTA", crossSeriesReducer = "REDUCE_PERCENTILE_${percentile}" }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 0, yPos = 8, width = 6, height = 4
          widget = {
            title = "Oldest unacknowledged message on the trigger's subscription (s)"
            xyChart = {
              dataSets = [{
                plotType = "LINE"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter      = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND ${local.trigger_subscription}"
                    aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_MAX" }
                  }
                }
              }]
              thresholds = [{ value = var.alert_unacked_age_seconds }]
            }
          }
        },
        {
          xPos = 6, yPos = 8, width = 6, height = 4
          widget = {
            title = "Dead-lettered messages waiting"
            xyChart = {
              dataSets = [{
                plotType = "LINE"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter      = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND ${local.dead_letter_subscription}"
                    aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_MAX" }
                  }
                }
              }]
            }
          }
        },
      ]
    }
  })
}
