{{/*
Chart name, or nameOverride. Truncated to 63 characters: the DNS label limit for names.
*/}}
{{- define "taskflow-api.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: fullnameOverride, else "<release>-<name>", collapsed to the release
name when it already contains the chart name (release "taskflow-api" -> "taskflow-api").
*/}}
{{- define "taskflow-api.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart label value: "<name>-<version>", "+" is not allowed in label values.
*/}}
{{- define "taskflow-api.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Kubernetes recommended labels without a component: the base of every object's labels.
*/}}
{{- define "taskflow-api.commonLabels" -}}
helm.sh/chart: {{ include "taskflow-api.chart" . }}
{{ include "taskflow-api.instanceLabels" . }}
app.kubernetes.io/version: {{ include "taskflow-api.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: taskflow
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels of the API's own objects (Deployment, Service, ConfigMap, ...).
*/}}
{{- define "taskflow-api.labels" -}}
{{ include "taskflow-api.commonLabels" . }}
app.kubernetes.io/component: api
{{- end }}

{{/*
Every pod of this release (API and migrations): what the NetworkPolicy selects.
*/}}
{{- define "taskflow-api.instanceLabels" -}}
app.kubernetes.io/name: {{ include "taskflow-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
API pods only: the Deployment/Service/PDB selector. The component keeps migration and helm test
pods out of the Service's endpoints. Immutable on a Deployment, so never the version.
*/}}
{{- define "taskflow-api.selectorLabels" -}}
{{ include "taskflow-api.instanceLabels" . }}
app.kubernetes.io/component: api
{{- end }}

{{/*
ServiceAccount the pods run as.
*/}}
{{- define "taskflow-api.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "taskflow-api.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image tag: image.tag, else the chart's appVersion.
*/}}
{{- define "taskflow-api.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
Image reference: "<repository>@<digest>" when image.digest is set (the digest wins over the tag,
as in cert-manager's chart), else "<repository>:<tag>".
*/}}
{{- define "taskflow-api.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "taskflow-api.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
Name of the Service the Valkey subchart creates. The subchart runs under the alias "redis", so
its .Chart.Name is "redis" and its fullname helper yields "<release>-redis" (or the release name
when that already contains "redis", or its own fullnameOverride).
*/}}
{{- define "taskflow-api.redisServiceName" -}}
{{- $redis := .Values.redis }}
{{- if $redis.fullnameOverride }}
{{- $redis.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default "redis" $redis.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Redis URL without credentials (the password reaches the pod separately, from the Secret).
In-cluster: the Valkey subchart's Service. External: externalRedis.host is required, and TLS
selects the rediss:// scheme (ElastiCache with in-transit encryption refuses plain TCP).
*/}}
{{- define "taskflow-api.redisUrl" -}}
{{- if .Values.redis.enabled -}}
redis://{{ include "taskflow-api.redisServiceName" . }}.{{ .Release.Namespace }}.svc:{{ include "taskflow-api.redisPort" . }}
{{- else -}}
{{- $host := required "externalRedis.host is required when redis.enabled=false (the ElastiCache primary endpoint)" .Values.externalRedis.host -}}
{{ ternary "rediss" "redis" .Values.externalRedis.tls }}://{{ $host }}:{{ .Values.externalRedis.port }}
{{- end }}
{{- end }}

{{/*
Port of Redis: the Valkey subchart's service.port (also its container port; 6379 unless set), or
externalRedis.port.
*/}}
{{- define "taskflow-api.redisPort" -}}
{{- if .Values.redis.enabled }}
{{- dig "service" "port" 6379 .Values.redis }}
{{- else }}
{{- .Values.externalRedis.port }}
{{- end }}
{{- end }}

{{/*
Name of the Secret the pods read the Redis password from. Required: the chart never creates it.
*/}}
{{- define "taskflow-api.secretName" -}}
{{- required "existingSecret.name is required: the name of the Secret (created by the Pulumi program) that holds the Redis password" .Values.existingSecret.name }}
{{- end }}

{{/*
Pod and container security settings for Pod Security Standards "restricted". Shared by the app,
the migration hook and the helm test pod so no pod can drift below the namespace's policy.
*/}}
{{- define "taskflow-api.podSecurityContext" -}}
runAsNonRoot: true
{{- include "taskflow-api.ids" (dict "ids" .Values.podSecurityContext "keys" (list "runAsUser" "runAsGroup" "fsGroup")) }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "taskflow-api.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
{{- include "taskflow-api.ids" (dict "ids" .Values.podSecurityContext "keys" (list "runAsUser" "runAsGroup")) }}
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
The podSecurityContext IDs named in .keys that are set (a null ID is left to the platform).
*/}}
{{- define "taskflow-api.ids" -}}
{{- range $key := .keys }}
{{- with index $.ids $key }}
{{ $key }}: {{ . }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Non-secret settings as a flat map: the ConfigMap's data, and the source of the checksum that
rolls the pods when any of it changes.
*/}}
{{- define "taskflow-api.configData" -}}
REDIS_URL: {{ include "taskflow-api.redisUrl" . | quote }}
PORT: {{ .Values.containerPort | quote }}
{{- with include "taskflow-api.redisCaFile" . }}
REDIS_TLS_CA_FILE: {{ . | quote }}
{{- end }}
{{- range $key, $value := .Values.config }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/*
The Redis password, from the Secret the Pulumi program created before the release.
*/}}
{{- define "taskflow-api.secretEnv" -}}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "taskflow-api.secretName" . }}
      key: {{ .Values.existingSecret.redisPasswordKey }}
{{- end }}

{{/*
The fewest pods the release runs: autoscaling.minReplicas with the HPA, else replicaCount.
*/}}
{{- define "taskflow-api.minPods" -}}
{{- ternary .Values.autoscaling.minReplicas .Values.replicaCount .Values.autoscaling.enabled }}
{{- end }}

{{/*
"true" when the PodDisruptionBudget is rendered: only over more than one pod, because a budget
over a single pod forbids every voluntary eviction (ingress-nginx's rule too).
*/}}
{{- define "taskflow-api.pdbRendered" -}}
{{- if and .Values.podDisruptionBudget.enabled (gt (int (include "taskflow-api.minPods" .)) 1) }}true{{ end }}
{{- end }}

{{/*
topologySpreadConstraints of the app pods: topologySpreadConstraints from values when set (an
item without labelSelector gets the app's selector), else the generated zone and hostname rules.
matchLabelKeys [pod-template-hash] counts only the pods of the same ReplicaSet, so during a
rollout the old pods do not skew where the new ones go.
*/}}
{{- define "taskflow-api.topologySpread" -}}
{{- $selector := dict "matchLabels" (include "taskflow-api.selectorLabels" . | fromYaml) }}
{{- $spread := .Values.topologySpread }}
{{- if .Values.topologySpreadConstraints }}
topologySpreadConstraints:
{{- range .Values.topologySpreadConstraints }}
{{- toYaml (list (merge (dict "labelSelector" (.labelSelector | default $selector)) (deepCopy .))) | nindent 2 }}
{{- end }}
{{- else if $spread.enabled }}
{{- $common := dict "maxSkew" $spread.maxSkew "labelSelector" $selector "matchLabelKeys" (list "pod-template-hash") "nodeTaintsPolicy" $spread.nodeTaintsPolicy "nodeAffinityPolicy" $spread.nodeAffinityPolicy }}
topologySpreadConstraints:
{{- toYaml (list (merge (dict "topologyKey" "topology.kubernetes.io/zone" "whenUnsatisfiable" $spread.whenUnsatisfiable) $common)) | nindent 2 }}
{{- toYaml (list (merge (dict "topologyKey" "kubernetes.io/hostname" "whenUnsatisfiable" "ScheduleAnyway") $common)) | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Path of the external Redis' CA bundle inside the pods, when externalRedis.caSecret names one
(the app then trusts that CA for rediss://). Empty otherwise.
*/}}
{{- define "taskflow-api.redisCaFile" -}}
{{- if and (not .Values.redis.enabled) .Values.externalRedis.caSecret.name -}}
/etc/taskflow-api/redis-ca/{{ .Values.externalRedis.caSecret.key }}
{{- end }}
{{- end }}
