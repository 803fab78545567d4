// Webhook endpoints (webhook.manage, #22): the receivers of the event journal, their delivery log,
// a test ping, secret rotation, enabling and disabling.
import { graphql } from '@/gql'


export const WebhookEndpointsQuery = graphql(`
  query WebhookEndpoints($first: Int, $after: String) {
    webhookEndpoints(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name url eventTypes warehouseIds categoryIds enabled disabledReason disabledAt owner createdAt failingSince lastSuccessAt attempt nextAttemptAt previousSecretExpiresAt cursor } }
    }
  }
`)

export const WebhookDeliveriesQuery = graphql(`
  query WebhookDeliveries($endpointId: ID, $outcome: WebhookOutcome, $first: Int, $after: String) {
    webhookDeliveries(endpointId: $endpointId, outcome: $outcome, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id sequence messageId eventType attempt at statusCode durationMs outcome error } }
    }
  }
`)

export const WebhookCategoryOptionsQuery = graphql(`
  query WebhookCategoryOptions {
    categories(first: 100) { edges { node { id code name } } }
  }
`)

export const CreateWebhookEndpointMutation = graphql(`
  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      secret
      endpoint { id name url }
      errors { field code message }
    }
  }
`)

export const SetWebhookEndpointEnabledMutation = graphql(`
  mutation SetWebhookEndpointEnabled($id: ID!, $enabled: Boolean!, $skipMissed: Boolean!) {
    setWebhookEndpointEnabled(id: $id, enabled: $enabled, skipMissed: $skipMissed) {
      endpoint { id enabled disabledReason disabledAt failingSince }
      errors { field code message }
    }
  }
`)

export const RotateWebhookSecretMutation = graphql(`
  mutation RotateWebhookSecret($id: ID!, $graceHours: Int!) {
    rotateWebhookSecret(id: $id, graceHours: $graceHours) {
      secret
      endpoint { id previousSecretExpiresAt }
      errors { field code message }
    }
  }
`)

export const PingWebhookEndpointMutation = graphql(`
  mutation PingWebhookEndpoint($id: ID!) {
    pingWebhookEndpoint(id: $id) {
      delivery { id statusCode durationMs outcome error at }
      errors { field code message }
    }
  }
`)

export const DeleteWebhookEndpointMutation = graphql(`
  mutation DeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(id: $id) {
      ok
      errors { field code message }
    }
  }
`)

export const UpdateWebhookEndpointMutation = graphql(`
  mutation UpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) {
      endpoint { id name url eventTypes warehouseIds categoryIds }
      errors { field code message }
    }
  }
`)

export const ReplayWebhookEndpointMutation = graphql(`
  mutation ReplayWebhookEndpoint($id: ID!, $fromSequence: Int!) {
    replayWebhookEndpoint(id: $id, fromSequence: $fromSequence) {
      endpoint { id cursor attempt failingSince }
      errors { field code message }
    }
  }
`)
