import { useEffect, useRef } from 'react'

const NEAR_BOTTOM_PX = 120

const nearBottom = () => {
  const doc = document.documentElement
  return window.innerHeight + window.scrollY >= doc.scrollHeight - NEAR_BOTTOM_PX
}

/**
 * Keeps the page scrolled to its end (the newest message, above the composer) whenever `signal` changes,
 * unless the user has scrolled up to read; scrolling back down to the end turns it on again.
 */
export const useAutoScroll = (signal: unknown) => {
  const stick = useRef(true)
  useEffect(() => {
    const onScroll = () => {
      stick.current = nearBottom()
    }
    window.addEventListener('scroll', onScroll, { passive: true })
    return () => window.removeEventListener('scroll', onScroll)
  }, [])
  useEffect(() => {
    if (stick.current) window.scrollTo({ top: document.documentElement.scrollHeight })
  }, [signal])
}
