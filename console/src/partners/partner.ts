// A supplier or customer row as the lists load it and the form edits it.
export interface PartnerRow {
  id: string
  code: string
  name: string
  active: boolean
  contactName?: string | null
  phone?: string | null
  email?: string | null
  address?: string | null
  taxId?: string | null
  paymentTermsDays: number
  currency?: string
  bankName?: string | null
  bankAccount?: string | null
  creditRating?: string | null
  creditLimit?: string | null
  invoiceTitle?: string
  invoiceType?: string
  discount?: string | null
}
