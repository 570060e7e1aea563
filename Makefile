# fedshop: shortcuts for building, running and checking the platform. Each target is one
# command you can also type yourself; `make help` lists them. Images are named
# fedshop/<service>:<version>, the version being package.json's.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PROJECT  := fedshop
VERSION  := $(shell node -p "require('./package.json').version" 2>/dev/null || echo 0.1.0)
SERVICES := gateway users orders
IMAGES   := $(SERVICES) web
COMPOSE  := FEDSHOP_VERSION=$(VERSION) docker compose
PROD     := $(COMPOSE) -f docker-compose.yml -f docker-compose.prod.yml
OVERLAY  ?= dev

.PHONY: help build build-gateway build-web up down logs ps up-prod down-prod secrets \
        test typecheck proto compose migrate bench k8s-build k8s-apply tf-fmt

help: ## List the targets
	@grep -E '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

build: $(addprefix build-,$(IMAGES)) ## Build the four images (fedshop/<gateway|users|orders|web>:<version>)

build-gateway: ## Build fedshop/gateway:<version>
	docker build -f gateway/Dockerfile --build-arg VERSION=$(VERSION) -t $(PROJECT)/gateway:$(VERSION) .

build-web: ## Build fedshop/web:<version> (the storefront's static files behind nginx)
	docker build -f clients/web/Dockerfile --build-arg VERSION=$(VERSION) -t $(PROJECT)/web:$(VERSION) .

build-%: ## Build fedshop/<users|orders>:<version>
	docker build -f subgraphs/$*/Dockerfile --build-arg VERSION=$(VERSION) -t $(PROJECT)/$*:$(VERSION) .

up: ## Start the full local stack (builds missing images), wait until healthy
	$(COMPOSE) up -d --wait

down: ## Stop the local stack (add ARGS=-v to drop its volumes)
	$(COMPOSE) down $(ARGS)

logs: ## Follow the platform's logs
	$(COMPOSE) logs -f gateway users orders

ps: ## Show the stack's containers and their health
	$(COMPOSE) ps

secrets: ## Write the production secret files (deploy/secrets/, git-ignored; existing ones kept)
	deploy/generate-secrets.sh

up-prod: secrets ## Start with the production overrides (docker-compose.prod.yml)
	$(PROD) up -d --wait

down-prod: ## Stop the production stack
	$(PROD) down

test: ## Every test (unit, service, contract, end-to-end, delivery checks)
	npm test

typecheck: ## tsc over the whole repo
	npm run typecheck

proto: ## buf lint + regenerate shared/src/generated/proto (CHECK=1: fail on drift)
	scripts/generate-proto.sh $(if $(CHECK),--check,)

compose: ## Recompose supergraph.graphql from the subgraph schemas (rover.yaml)
	npm run compose

migrate: ## Apply pending migrations (USERS_DATABASE_URL / ORDERS_DATABASE_URL, or SUBGRAPH=users with DATABASE_URL)
	scripts/run-migrations.sh $(SUBGRAPH)

bench: ## The gateway benchmark (npm run bench; ARGS=--quick)
	npm run bench -- $(ARGS)

k8s-build: ## Print an overlay's manifests (OVERLAY=dev|prod), with kubectl's kustomize
	kubectl kustomize deploy/k8s/overlays/$(OVERLAY)

k8s-apply: ## Apply an overlay (OVERLAY=dev|prod); finished migration Jobs are replaced
	kubectl delete job -n $(if $(filter dev,$(OVERLAY)),fedshop-dev,fedshop) -l app.kubernetes.io/component=migration --ignore-not-found
	kubectl apply -k deploy/k8s/overlays/$(OVERLAY)

tf-fmt: ## Format deploy/terraform
	terraform -chdir=deploy/terraform fmt
