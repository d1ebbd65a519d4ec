output "function_name" {
  value = google_cloudfunctions2_function.ingest_scan.name
}

output "topic" {
  value = google_pubsub_topic.scans.id
}

output "trigger" {
  value = google_cloudfunctions2_function.ingest_scan.event_trigger[0].trigger
}

output "dead_letter_subscription" {
  value = google_pubsub_subscription.dead_letter.id
}

# Eventarc creates and owns its push subscription, so Terraform cannot set its dead-letter policy or its
# retention (Eventarc's default keeps an undelivered message 24 h, then drops it); run this once after apply.
output "dead_letter_setup" {
  value = <<-EOT
    SUB=$(gcloud eventarc triggers describe ${basename(google_cloudfunctions2_function.ingest_scan.event_trigger[0].trigger)} --location=${local.region} --format='value(transport.pubsub.subscription)')
    gcloud pubsub subscriptions update "$SUB" --dead-letter-topic=${google_pubsub_topic.dead_letter.id} --max-delivery-attempts=${local.max_delivery_attempts} --message-retention-duration=${local.deploy.messageRetention}
    gcloud pubsub subscriptions add-iam-policy-binding "$SUB" --member=${local.pubsub_agent} --role=roles/pubsub.subscriber
  EOT
}

output "api_url" {
  value = google_cloudfunctions2_function.scans_api.url
}
