# Provisions fedshop on an existing Kubernetes cluster: builds a deploy/k8s overlay (kustomize,
# through the kbst/kustomization provider), sets the images to your registry and release, and
# applies it; in prod it also creates the Secrets the manifests reference (each subgraph's
# managed PostgreSQL URL, a generated ES256 signing key, the admin account), which are never
# committed. Databases: one managed PostgreSQL per subgraph, created outside this module (your
# cloud's module), passed in as URLs; they are never shared.
#
#   terraform init && terraform apply -var-file=prod.tfvars
terraform {
  required_version = ">= 1.6.0"
  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.35"
    }
    kustomization = {
      source  = "kbst/kustomization"
      version = "~> 0.9"
    }
    tls = {
      source  = "hashicorp/tls"
      version = "~> 4.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "kubernetes" {
  config_path    = var.kubeconfig_path
  config_context = var.kube_context
}

provider "kustomization" {
  kubeconfig_path = var.kubeconfig_path
  context         = var.kube_context
}

locals {
  overlay_dir = "${path.module}/../k8s/overlays/${var.overlay}"
  services    = ["gateway", "users", "orders", "web"]
  # In prod the Secrets come from here; the dev overlay carries its own throw-away ones.
  manage_secrets = var.overlay == "prod"
  admin_enabled  = var.admin_email != ""
}

data "kustomization_overlay" "fedshop" {
  resources = [local.overlay_dir]
  namespace = var.namespace

  dynamic "images" {
    for_each = local.services
    content {
      name     = "fedshop/${images.value}"
      new_name = "${var.image_registry}/fedshop/${images.value}"
      new_tag  = var.image_tag
    }
  }
}

# The provider's documented order: namespaces first, then everything else.
resource "kustomization_resource" "namespaces" {
  for_each = data.kustomization_overlay.fedshop.ids_prio[0]
  manifest = data.kustomization_overlay.fedshop.manifests[each.value]
}

resource "tls_private_key" "jwt" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

resource "random_password" "admin" {
  count   = local.manage_secrets && local.admin_enabled ? 1 : 0
  length  = 32
  special = false
}

resource "kubernetes_secret_v1" "users" {
  count = local.manage_secrets ? 1 : 0
  metadata {
    name      = "users-secrets"
    namespace = var.namespace
    labels    = { "app.kubernetes.io/part-of" = "fedshop", "app.kubernetes.io/name" = "users" }
  }
  data = merge(
    {
      DATABASE_URL    = var.users_database_url
      JWT_PRIVATE_KEY = tls_private_key.jwt.private_key_pem_pkcs8
    },
    local.admin_enabled ? {
      ADMIN_EMAIL    = var.admin_email
      ADMIN_PASSWORD = random_password.admin[0].result
    } : {},
  )
  depends_on = [kustomization_resource.namespaces]
}

resource "kubernetes_secret_v1" "orders" {
  count = local.manage_secrets ? 1 : 0
  metadata {
    name      = "orders-secrets"
    namespace = var.namespace
    labels    = { "app.kubernetes.io/part-of" = "fedshop", "app.kubernetes.io/name" = "orders" }
  }
  data = {
    DATABASE_URL = var.orders_database_url
  }
  depends_on = [kustomization_resource.namespaces]
}

resource "kustomization_resource" "platform" {
  for_each   = data.kustomization_overlay.fedshop.ids_prio[1]
  manifest   = data.kustomization_overlay.fedshop.manifests[each.value]
  depends_on = [kubernetes_secret_v1.users, kubernetes_secret_v1.orders]
}

resource "kustomization_resource" "webhooks" {
  for_each   = data.kustomization_overlay.fedshop.ids_prio[2]
  manifest   = data.kustomization_overlay.fedshop.manifests[each.value]
  depends_on = [kustomization_resource.platform]
}
