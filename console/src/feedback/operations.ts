// User feedback (用户反馈, #21): sending it from any screen, the sender's own with the answers, and the
// administrators' list (user.admin) with assignment, answer and close.
import { graphql } from '@/gql'

export const SubmitFeedbackMutation = graphql(`
  mutation SubmitFeedback($input: FeedbackInput!) {
    submitFeedback(input: $input) {
      feedback { id status }
      errors { field code message }
    }
  }
`)

export const MyFeedbackQuery = graphql(`
  query MyFeedback($first: Int, $after: String) {
    myFeedback(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id kind message screen status answer answeredAt createdAt } }
    }
  }
`)

export const FeedbackListQuery = graphql(`
  query FeedbackList($status: FeedbackStatus, $first: Int, $after: String) {
    feedback(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id kind message screen requestIds status assignedTo answer answeredBy answeredAt createdBy createdAt } }
    }
  }
`)

export const AnswerFeedbackMutation = graphql(`
  mutation AnswerFeedback($id: ID!, $answer: String!) {
    answerFeedback(id: $id, answer: $answer) {
      feedback { id status answer answeredBy answeredAt }
      errors { field code message }
    }
  }
`)

export const AssignFeedbackMutation = graphql(`
  mutation AssignFeedback($id: ID!, $username: String!) {
    assignFeedback(id: $id, username: $username) {
      feedback { id assignedTo }
      errors { field code message }
    }
  }
`)

export const CloseFeedbackMutation = graphql(`
  mutation CloseFeedback($id: ID!) {
    closeFeedback(id: $id) {
      feedback { id status }
      errors { field code message }
    }
  }
`)
