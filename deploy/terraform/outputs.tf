output "namespace" {
  description = "Namespace the platform runs in."
  value       = var.namespace
}

output "gateway_url" {
  description = "In-cluster URL of the public GraphQL endpoint (the prod overlay also exposes it through its Ingress)."
  value       = "http://gateway.${var.namespace}.svc.cluster.local:4000/graphql"
}

output "images" {
  description = "The images deployed, by service."
  value       = { for service in local.services : service => "${var.image_registry}/fedshop/${service}:${var.image_tag}" }
}

output "jwt_public_key_pem" {
  description = "Public half of the generated ES256 signing key (the users service also publishes it as its JWKS)."
  value       = tls_private_key.jwt.public_key_pem
}

output "admin_password" {
  description = "Generated password of the admin account, when admin_email is set and the overlay is prod."
  value       = length(random_password.admin) > 0 ? random_password.admin[0].result : null
  sensitive   = true
}
