#!/bin/sh
# Creates one role and one database per agent service (dev only: the password is the service name).
# Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d).
# MSP_DATABASES lists the services, e.g. "cpi spo ram sli dsa vcm" (set in docker-compose.yml).
set -e

for db in ${MSP_DATABASES:?set MSP_DATABASES to the service names}; do
  echo "msp: creating role and database ${db}"
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname postgres <<SQL
CREATE ROLE ${db} LOGIN PASSWORD '${db}';
CREATE DATABASE ${db} OWNER ${db};
REVOKE ALL ON DATABASE ${db} FROM PUBLIC;
SQL
done
