import { useEffect, useRef } from 'react'
import { useNavigate } from 'react-router'
import { useCurrentClient } from '../clients/index.ts'

/**
 * Keeps the sidebar's client in step with an open conversation: opening one of another client of this
 * workspace selects that client; picking another client in the sidebar goes back to the chat home.
 */
export const useConversationClient = (clientId: string) => {
  const { clients, client, selectClient } = useCurrentClient()
  const navigate = useNavigate()
  const known = clients.some((c) => c.id === clientId)
  const synced = useRef(false)
  useEffect(() => {
    if (!known || synced.current) return
    synced.current = true
    if (client?.id !== clientId) selectClient(clientId)
  }, [known, client?.id, clientId, selectClient])
  const previous = useRef(client?.id)
  useEffect(() => {
    const was = previous.current
    previous.current = client?.id
    if (synced.current && was && client && was !== client.id && client.id !== clientId) navigate('/app')
  }, [client, clientId, navigate])
}
