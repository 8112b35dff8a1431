/** The canvas library's stylesheet, imported for its side effect (Vite bundles it with the flow pages' chunk). */
declare module '@xyflow/react/dist/style.css'
