{{/*
Helpers shared by every template. Each service is rendered from its entry of .Values.services
merged over .Values.defaults ("the config"); the templates only loop over the enabled entries.
*/}}

{{/* msp-agents.chart is "name-version" for the helm.sh/chart label. */}}
{{- define "msp-agents.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
msp-agents.mergeInto deep-merges .src into .dst in place. Unlike sprig's mergeOverwrite it keeps
explicit false, 0 and "" from .src (a service may set `pdb.enabled: false` or `replicas: 0`).
*/}}
{{- define "msp-agents.mergeInto" -}}
{{- $dst := .dst -}}
{{- range $key, $value := .src -}}
{{- if and (kindIs "map" $value) (kindIs "map" (get $dst $key)) -}}
{{- include "msp-agents.mergeInto" (dict "dst" (get $dst $key) "src" $value) -}}
{{- else -}}
{{- $_ := set $dst $key $value -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
msp-agents.config renders (as YAML, read back with fromYaml) the effective settings of one service:
defaults, then the service's own entry, then names derived from the service name.
Call with (dict "root" $ "name" $name "svc" $svc).
*/}}
{{- define "msp-agents.config" -}}
{{- $cfg := deepCopy .root.Values.defaults -}}
{{- include "msp-agents.mergeInto" (dict "dst" $cfg "src" .svc) -}}
{{- $_ := set $cfg "name" .name -}}
{{- if not $cfg.database.secretName -}}
{{- $_ := set $cfg.database "secretName" (printf "%s-db" .name) -}}
{{- end -}}
{{- if not $cfg.serviceAccount.name -}}
{{- $_ := set $cfg.serviceAccount "name" .name -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* msp-agents.tag is the image tag of a config: its own, the global one, or appVersion. */}}
{{- define "msp-agents.tag" -}}
{{- .cfg.image.tag | default .root.Values.global.image.tag | default .root.Chart.AppVersion -}}
{{- end -}}

{{/* msp-agents.image is "<registry>/<repository>/<service>:<tag>" for (dict "root" $ "cfg" $cfg). */}}
{{- define "msp-agents.image" -}}
{{- $global := .root.Values.global.image -}}
{{- $repository := .cfg.image.repository | default (printf "%s/%s" $global.repository .cfg.name) -}}
{{- if $global.registry -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" $global.registry) $repository -}}
{{- end -}}
{{- printf "%s:%s" $repository (include "msp-agents.tag" .) -}}
{{- end -}}

{{/*
msp-agents.selectorLabels select the pods of one service's workload; component keeps the
migration Job's pods out of the Service. Call with (dict "root" $ "name" $name "component" "agent").
*/}}
{{- define "msp-agents.selectorLabels" -}}
app.kubernetes.io/name: {{ .name | quote }}
app.kubernetes.io/instance: {{ .root.Release.Name | quote }}
app.kubernetes.io/component: {{ .component | quote }}
{{- end -}}

{{/* msp-agents.labels are the recommended labels; same arguments as selectorLabels plus "cfg". */}}
{{- define "msp-agents.labels" -}}
{{ include "msp-agents.selectorLabels" . }}
app.kubernetes.io/part-of: "msp-agents"
app.kubernetes.io/managed-by: {{ .root.Release.Service | quote }}
app.kubernetes.io/version: {{ include "msp-agents.tag" . | trunc 63 | quote }}
helm.sh/chart: {{ include "msp-agents.chart" .root | quote }}
{{- end -}}

{{/*
msp-agents.kafkaEnv is the broker connection (KAFKA_*) as container env. SASL credentials always come
from a Secret; MSK IAM needs none (the token is signed with the pod's IAM role: IRSA or Pod Identity).
Call with (dict "root" $ "saslSecret" "<per-service override or empty>").
*/}}
{{- define "msp-agents.kafkaEnv" -}}
{{- $kafka := .root.Values.global.kafka -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ required "global.kafka.bootstrapServers is required" $kafka.bootstrapServers | quote }}
- name: KAFKA_SECURITY_PROTOCOL
  value: {{ $kafka.securityProtocol | quote }}
- name: KAFKA_REPLICATION_FACTOR
  value: {{ $kafka.replicationFactor | default 1 | toString | quote }}
{{- if $kafka.topicPrefix }}
- name: KAFKA_TOPIC_PREFIX
  value: {{ $kafka.topicPrefix | quote }}
{{- end }}
{{- if eq $kafka.saslMechanism "AWS_MSK_IAM" }}
{{- if ne $kafka.securityProtocol "SASL_SSL" }}
{{- fail "global.kafka.saslMechanism AWS_MSK_IAM needs global.kafka.securityProtocol SASL_SSL (MSK serves IAM on TLS, port 9098)" }}
{{- end }}
- name: KAFKA_SASL_MECHANISM
  value: "AWS_MSK_IAM"
- name: KAFKA_AWS_REGION
  value: {{ required "global.kafka.awsRegion is required with saslMechanism AWS_MSK_IAM" $kafka.awsRegion | quote }}
{{- else if hasPrefix "SASL_" $kafka.securityProtocol }}
{{- $secret := .saslSecret | default $kafka.saslSecret.name }}
{{- if not $secret }}
{{- fail (printf "global.kafka.securityProtocol is %s: set global.kafka.saslSecret.name to the Secret holding the SASL username and password" $kafka.securityProtocol) }}
{{- end }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $kafka.saslMechanism | quote }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $secret | quote }}
      key: {{ $kafka.saslSecret.usernameKey | quote }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret | quote }}
      key: {{ $kafka.saslSecret.passwordKey | quote }}
{{- end }}
{{- end -}}

{{/* msp-agents.extraEnv is global.env overlaid with the service's env, sorted by name. */}}
{{- define "msp-agents.extraEnv" -}}
{{- $env := merge (deepCopy (.cfg.env | default dict)) (.root.Values.global.env | default dict) -}}
{{- range $name, $value := $env }}
- name: {{ $name | quote }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* msp-agents.serviceEnv is the full env of a service container (serve and migrate alike). */}}
{{- define "msp-agents.serviceEnv" -}}
{{ include "msp-agents.kafkaEnv" (dict "root" .root "saslSecret" .cfg.kafkaSaslSecret) }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .cfg.database.secretName | quote }}
      key: {{ .cfg.database.secretKey | quote }}
- name: MSP_TRANSPORT
  value: "kafka"
- name: MIGRATE_ON_START
  value: "false"
- name: HTTP_HOST
  value: "0.0.0.0"
- name: HTTP_PORT
  value: {{ .cfg.port | int | toString | quote }}
- name: METRICS_PORT
  value: {{ .cfg.metricsPort | int | toString | quote }}
{{ include "msp-agents.authEnv" . }}
{{- include "msp-agents.extraEnv" . }}
{{- end -}}

{{/* msp-agents.authEnv: the OIDC issuer the API trusts, or AUTH_MODE=off only when global.auth.disabled
     says so; anything else fails the render rather than deploy an API anyone may call or none can. */}}
{{- define "msp-agents.authEnv" -}}
{{- $auth := .root.Values.global.auth -}}
{{- $env := merge (deepCopy (.cfg.env | default dict)) (.root.Values.global.env | default dict) -}}
{{- if $auth.disabled -}}
- name: AUTH_MODE
  value: "off"
{{- else -}}
{{- if eq (lower (toString (get $env "AUTH_MODE" | default ""))) "off" -}}
{{- fail (printf "services.%s: AUTH_MODE=off in env turns authentication off; set global.auth.disabled: true to mean it" .cfg.name) -}}
{{- end -}}
{{- if not (and $auth.issuer $auth.audience) -}}
{{- fail "global.auth.issuer and global.auth.audience are required (the OIDC issuer, e.g. the Cognito user pool URL, and its app client id); set global.auth.disabled: true only to run without authentication" -}}
{{- end -}}
- name: AUTH_MODE
  value: "oidc"
- name: OIDC_ISSUER
  value: {{ $auth.issuer | quote }}
- name: OIDC_AUDIENCE
  value: {{ $auth.audience | quote }}
- name: OIDC_ROLES_CLAIM
  value: {{ $auth.rolesClaim | quote }}
{{- with $auth.jwksUrl }}
- name: OIDC_JWKS_URL
  value: {{ . | quote }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* msp-agents.tmpVolume is the writable /tmp of a read-only root filesystem (volume + mount). */}}
{{- define "msp-agents.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: "64Mi"
{{- end -}}

{{/* msp-agents.seconds turns a duration such as "90s", "30m", "3h" or "1d" into whole seconds. */}}
{{- define "msp-agents.seconds" -}}
{{- $n := regexFind "^[0-9]+" . | int -}}
{{- $unit := regexFind "[smhd]$" . -}}
{{- $scale := get (dict "s" 1 "m" 60 "h" 3600 "d" 86400) $unit | int -}}
{{- mul $n $scale -}}
{{- end -}}
