# Camarad: one image for both process types (`node src/main.ts` serves the API and the web app; `node src/worker.ts`
# works the jobs). Node 24 runs the TypeScript sources directly (type stripping): no compile step but the web build.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY src ./src
COPY contracts ./contracts
COPY config ./config
COPY content ./content
COPY scripts ./scripts
COPY --from=build /app/web/dist ./web/dist
USER node
EXPOSE 3000
CMD ["node", "src/main.ts"]
