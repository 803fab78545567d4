// The handheld page's operations: scan sessions and nothing else (a paired device holds scan.use alone).
import { graphql } from '@/gql'

export const ScanMeQuery = graphql(`
  query ScanMe {
    me {
      kind
      name
      permissions
    }
  }
`)

export const StartScanSessionMutation = graphql(`
  mutation StartScanSession($mode: ScanMode!, $documentNumber: String!, $locationCode: String!, $key: String) {
    startScanSession(mode: $mode, documentNumber: $documentNumber, locationCode: $locationCode, idempotencyKey: $key) {
      sessionId
      errors {
        code
        message
      }
    }
  }
`)

export const ScanBatchMutation = graphql(`
  mutation ScanBatch($sessionId: ID!, $scans: [ScanItemInput!]!, $gs: String!) {
    scanBatch(sessionId: $sessionId, scans: $scans, gsSubstitute: $gs) {
      results {
        scanId
        answer {
          ok
          message
          replayed
        }
        errors {
          code
          message
        }
      }
      errors {
        code
        message
      }
    }
  }
`)

export const ScanOneMutation = graphql(`
  mutation ScanOne(
    $sessionId: ID!
    $code: String!
    $scanId: String!
    $quantity: Quantity
    $lot: String
    $expiryDate: Date
    $gs: String!
  ) {
    scan(
      sessionId: $sessionId
      code: $code
      scanId: $scanId
      quantity: $quantity
      lot: $lot
      expiryDate: $expiryDate
      gsSubstitute: $gs
    ) {
      answer {
        ok
        message
        replayed
      }
      errors {
        code
        message
      }
    }
  }
`)

export const UndoLastScanMutation = graphql(`
  mutation UndoLastScan($sessionId: ID!) {
    undoLastScan(sessionId: $sessionId) {
      answer {
        ok
        message
      }
      errors {
        code
        message
      }
    }
  }
`)

export const CompleteScanSessionMutation = graphql(`
  mutation CompleteScanSession($sessionId: ID!) {
    completeScanSession(sessionId: $sessionId) {
      documentNumber
      errors {
        code
        message
      }
    }
  }
`)

export const CreateDeviceTokenMutation = graphql(`
  mutation CreateDeviceToken($name: String!) {
    createDeviceToken(name: $name) {
      id
      token
      errors {
        code
        message
      }
    }
  }
`)
