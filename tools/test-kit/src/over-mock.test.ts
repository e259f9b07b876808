import { describe, expect, it } from 'vitest'
import { overMock } from './over-mock.ts'

describe('overMock', () => {
  it('points a client at the mock as the app: its first secret and redirect URI, requests to the mock', async () => {
    const reached: string[] = []
    const mock = {
      host: 'acme.my.workfront.test',
      fetch: async (request: Request) => {
        reached.push(`${request.method} ${request.url}`)
        return new Response('ok')
      },
    }
    const seen: string[] = []
    const options = overMock(
      mock,
      { clientId: 'web', clientSecrets: ['s1', 's2'], redirectUris: ['https://app/cb', 'https://b/cb'] },
      { onRequest: (request) => void seen.push(request.headers.get('x') ?? '') },
    )
    expect(options).toMatchObject({
      clientId: 'web',
      clientSecret: 's1',
      redirectUri: 'https://app/cb',
      baseUrl: 'https://acme.my.workfront.test',
    })
    const response = await options.http('https://acme.my.workfront.test/x', {
      method: 'POST',
      headers: { x: '1' },
    })
    expect(await response.text()).toBe('ok')
    expect(reached).toEqual(['POST https://acme.my.workfront.test/x'])
    expect(seen).toEqual(['1'])
    // A public (PKCE) app: no secret at all.
    expect('clientSecret' in overMock(mock, { clientId: 'spa', redirectUris: ['https://app/cb'] })).toBe(
      false,
    )
  })
})
