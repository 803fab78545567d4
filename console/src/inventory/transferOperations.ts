// Transfers between warehouses (调拨): dispatch from source bins (the goods go in transit at once),
// receive into bins of the destination; differences need a reason and are written off.
// A Transfer is no Node: one transfer is found by walking the transfers connection (TransferPage).
import { graphql } from '@/gql'

export const TransferFields = graphql(`
  fragment TransferFields on Transfer {
    id
    number
    status
    dispatchDate
    note
    actor
    createdAt
    fromWarehouse { id code name }
    toWarehouse { id code name }
    lines {
      id
      lineNo
      quantity
      receivedQuantity
      differenceQuantity
      differenceReason
      done
      product { id sku name }
      fromLocation { id code name }
    }
  }
`)

export const TransfersQuery = graphql(`
  query TransferPage($status: TransferStatus, $first: Int, $after: String) {
    transfers(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ...TransferFields } }
    }
  }
`)

export const TransferQuery = graphql(`
  query TransferOne($id: ID!) {
    transfer(id: $id) { ...TransferFields }
  }
`)

export const DispatchTransferMutation = graphql(`
  mutation DispatchTransfer($toWarehouseId: ID!, $lines: [DispatchLineInput!]!, $idempotencyKey: String, $dispatchDate: Date, $note: String!) {
    dispatchTransfer(toWarehouseId: $toWarehouseId, lines: $lines, idempotencyKey: $idempotencyKey, dispatchDate: $dispatchDate, note: $note) {
      transfer { id number status }
      errors { field code message }
    }
  }
`)

export const ReceiveTransferMutation = graphql(`
  mutation ReceiveTransfer($id: ID!, $lines: [ArrivalLineInput!]!) {
    receiveTransfer(id: $id, lines: $lines) {
      transfer { id number status }
      errors { field code message }
    }
  }
`)
