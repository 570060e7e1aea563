variable "kubeconfig_path" {
  type        = string
  description = "Path of the kubeconfig file for the target cluster."
  default     = "~/.kube/config"
}

variable "kube_context" {
  type        = string
  description = "kubeconfig context to use; null for the file's current context."
  default     = null
}

variable "overlay" {
  type        = string
  description = "Which deploy/k8s overlay to apply: dev (in-cluster throw-away databases, development mode) or prod."
  default     = "prod"
  validation {
    condition     = contains(["dev", "prod"], var.overlay)
    error_message = "overlay must be dev or prod."
  }
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace the platform runs in (created by the overlay's Namespace resource)."
  default     = "fedshop"
}

variable "image_registry" {
  type        = string
  description = "Registry (and path) the images were pushed to; images are <registry>/fedshop/<service>:<image_tag>."
}

variable "image_tag" {
  type        = string
  description = "Image tag to deploy: the release version from package.json (e.g. 0.1.0)."
}

variable "users_database_url" {
  type        = string
  description = "postgres:// URL of the users subgraph's own managed PostgreSQL database (never shared with orders). Required for the prod overlay."
  sensitive   = true
  default     = ""
  validation {
    condition     = var.users_database_url == "" || can(regex("^postgres(ql)?://", var.users_database_url))
    error_message = "users_database_url must be a postgres:// URL."
  }
}

variable "orders_database_url" {
  type        = string
  description = "postgres:// URL of the orders subgraph's own managed PostgreSQL database (never shared with users). Required for the prod overlay."
  sensitive   = true
  default     = ""
  validation {
    condition     = var.orders_database_url == "" || can(regex("^postgres(ql)?://", var.orders_database_url))
    error_message = "orders_database_url must be a postgres:// URL."
  }
}

variable "admin_email" {
  type        = string
  description = "Email of the admin account the users service creates at start (its password is generated, see the admin_password output); empty for none."
  default     = ""
}
