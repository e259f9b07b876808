// Nothing to configure for workfront-oauth.
import type { NextConfig } from 'next'

const config: NextConfig = {}

export default config
