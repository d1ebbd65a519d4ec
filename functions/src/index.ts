// Entry point for functions-framework (gcloud functions deploy, Terraform, npm start): registers ingestScan
// as a CloudEvent function. Configuration is validated at load (instance.ts).
import functions from "@google-cloud/functions-framework";
import { ingestScan } from "./instance.ts";

functions.cloudEvent("ingestScan", ingestScan);
