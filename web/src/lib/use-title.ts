import { useEffect } from 'react'

/** Sets document.title as "<title> · Camarad". */
export const useTitle = (title: string) => {
  useEffect(() => {
    document.title = title ? `${title} · Camarad` : 'Camarad'
  }, [title])
}
