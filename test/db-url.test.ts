import { describe, expect, it } from 'vitest';
import { redact, rememberSecret } from '../src/db/redact.js';
import { resolveDatabaseUrl } from '../src/db/url.js';

describe('the database URL', () => {
  const url = (name: string): string => `postgresql://app:${name}@db.example.com:5432/app`;

  it('comes from --db-url, then MIGRATE_SAFE_DB_URL, SUPABASE_DB_URL, DATABASE_URL, then the configuration', () => {
    const env = { MIGRATE_SAFE_DB_URL: url('a'), SUPABASE_DB_URL: url('b'), DATABASE_URL: url('c') };
    expect(resolveDatabaseUrl({ flag: url('flag'), env, configured: url('config') }).source).toBe('--db-url');
    expect(resolveDatabaseUrl({ env, configured: url('config') }).source).toBe('MIGRATE_SAFE_DB_URL');
    expect(resolveDatabaseUrl({ env: { SUPABASE_DB_URL: url('b'), DATABASE_URL: url('c') } }).source).toBe('SUPABASE_DB_URL');
    expect(resolveDatabaseUrl({ env: { DATABASE_URL: url('c') } }).source).toBe('DATABASE_URL');
    expect(resolveDatabaseUrl({ env: {}, configured: url('config') }).url).toBe(url('config'));
  });

  it("fills the configuration's ${VARIABLE} placeholders from the environment, and says which one is missing", () => {
    expect(resolveDatabaseUrl({ env: { PROD_DB_URL: url('p') }, configured: '${PROD_DB_URL}' }).url).toBe(url('p'));
    expect(resolveDatabaseUrl({ env: { DB_PASSWORD: 'pw' }, configured: 'postgresql://app:${DB_PASSWORD}@host/app' }).url).toBe('postgresql://app:pw@host/app');
    expect(() => resolveDatabaseUrl({ env: {}, configured: '${PROD_DB_URL}' })).toThrow("the configuration's database.url uses ${PROD_DB_URL}, which is not set");
    expect(() => resolveDatabaseUrl({ env: { DATABASE_URL: 'mysql://a:b@c/d' } })).toThrow('the database URL from DATABASE_URL starts with mysql:// (expected postgresql://user:password@host:port/database)');
  });

  it('never shows a password: in URLs, in key=value pairs, and wherever a resolved password appears on its own', () => {
    expect(redact('connecting to postgres://app:s3cr%40t@db:5432/app failed')).toBe('connecting to postgres://app:***@db:5432/app failed');
    expect(redact('postgresql://app:p@ss:w0rd@db/app and postgresql://other@db/app')).toBe('postgresql://app:***@db/app and postgresql://other@db/app');
    expect(redact("host=db password='a b' user=app, PGPASSWORD=xyz")).toBe('host=db password=*** user=app, PGPASSWORD=***');
    resolveDatabaseUrl({ env: { DATABASE_URL: 'postgresql://app:Zq9%2Fsecret@db/app' } });
    expect(redact('the server said: Zq9/secret is wrong')).toBe('the server said: *** is wrong');
    rememberSecret('another-one');
    expect(redact('another-one')).toBe('***');
  });
});
