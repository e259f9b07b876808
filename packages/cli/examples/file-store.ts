import { fileStore } from '@workfront-oauth/cli'
import { createWorkfrontOAuth, encryptedStore, generateEncryptionKey } from '@workfront-oauth/core'

const oauth = createWorkfrontOAuth({
  clientId: 'my-client-id',
  redirectUri: 'http://127.0.0.1:8976/callback',
  baseUrl: 'https://acme.my.workfront.com',
  store: encryptedStore(fileStore({ dir: '/var/lib/my-tool/workfront' }), {
    keys: [{ id: 'local-1', key: process.env.TOKEN_KEY ?? generateEncryptionKey() }],
  }),
})

export async function projectCount(grantId: string): Promise<Response> {
  return oauth.fetch(grantId, 'proj/count')
}
