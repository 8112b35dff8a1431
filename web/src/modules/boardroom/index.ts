/** Boardroom meetings: several agents discuss one question, streamed live. */
export { BoardroomPage } from './BoardroomPage.tsx'
export { MeetingPage } from './MeetingPage.tsx'
