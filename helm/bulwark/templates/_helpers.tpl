{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "bulwark.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or the release name alone when it already contains the chart name.
Truncated to 50 so that "<fullname>-preview" and "<fullname>-migrate" still fit in 63.
*/}}
{{- define "bulwark.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "bulwark.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "bulwark.labels" -}}
helm.sh/chart: {{ include "bulwark.chart" . }}
{{ include "bulwark.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: bulwark
{{- end }}

{{/* The release's identity; never changes over the life of a release. */}}
{{- define "bulwark.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bulwark.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selects the application pods of both colours (not the migration Job, not test pods). */}}
{{- define "bulwark.serverSelectorLabels" -}}
{{ include "bulwark.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{/* Selects the pods of one colour. Call with (dict "ctx" $ "color" "blue"). */}}
{{- define "bulwark.colorSelectorLabels" -}}
{{ include "bulwark.serverSelectorLabels" .ctx }}
bulwark.dev/color: {{ .color }}
{{- end }}

{{/* The colour that is not active. */}}
{{- define "bulwark.previewColor" -}}
{{- if eq .Values.activeColor "blue" }}green{{ else }}blue{{ end }}
{{- end }}

{{/* Image tag of a colour, refusing an empty or "latest" tag. Call with (dict "ctx" $ "color" "blue"). */}}
{{- define "bulwark.tag" -}}
{{- $tag := toString (index .ctx.Values .color "image" "tag") }}
{{- if or (eq $tag "") (eq $tag "latest") }}
{{- fail (printf "%s.image.tag must be an explicit version, not %q" .color $tag) }}
{{- end }}
{{- $tag }}
{{- end }}

{{- define "bulwark.image" -}}
{{- printf "%s:%s" .ctx.Values.image.repository (include "bulwark.tag" .) }}
{{- end }}

{{/* The colour that receives faults, or "" when none does. */}}
{{- define "bulwark.faultsColor" -}}
{{- if .Values.faults.enabled }}
{{- default (include "bulwark.previewColor" .) .Values.faults.color }}
{{- end }}
{{- end }}

{{/* SIGTERM budget: preStop pause + SHUTDOWN_DELAY_MS (rounded up) + drain + margin. */}}
{{- define "bulwark.terminationGracePeriodSeconds" -}}
{{- $delay := div (add (int .Values.config.shutdownDelayMs) 999) 1000 }}
{{- add (int .Values.shutdown.preStopSleepSeconds) $delay (int .Values.shutdown.drainSeconds) (int .Values.shutdown.marginSeconds) }}
{{- end }}

{{/* Name of the Secret holding JWT_SECRET, WEBHOOK_SECRET_KEY and ADMIN_PASSWORD. */}}
{{- define "bulwark.secretName" -}}
{{- default (include "bulwark.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Whether the chart generates the Secret (no secrets.existingSecret). */}}
{{- define "bulwark.generatesSecret" -}}
{{- if not .Values.secrets.existingSecret }}true{{ end }}
{{- end }}

{{/*
DATABASE_URL of the application pods and the helm test pod: database.existingSecret, else the
release's Secret (existing or generated).
*/}}
{{- define "bulwark.databaseUrlEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      {{- if .Values.database.existingSecret }}
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.existingSecretKey }}
      {{- else }}
      name: {{ include "bulwark.secretName" . }}
      key: DATABASE_URL
      {{- end }}
{{- end }}

{{/*
DATABASE_URL of the migration hook Job. The Job runs before the release's own objects exist on a
first install, so when the chart generates the Secret the URL comes from a hook Secret of its own
(<fullname>-migrations, deleted once the hooks succeeded); existing Secrets are used directly.
*/}}
{{- define "bulwark.migrationDatabaseUrlEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      {{- if .Values.database.existingSecret }}
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.existingSecretKey }}
      {{- else if .Values.secrets.existingSecret }}
      name: {{ .Values.secrets.existingSecret }}
      key: DATABASE_URL
      {{- else }}
      name: {{ include "bulwark.fullname" . }}-migrations
      key: DATABASE_URL
      {{- end }}
{{- end }}

{{/* Secret env of the application pods (and the helm test's admin-create step). */}}
{{- define "bulwark.secretEnv" -}}
{{ include "bulwark.databaseUrlEnv" . }}
- name: JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "bulwark.secretName" . }}
      key: JWT_SECRET
- name: WEBHOOK_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "bulwark.secretName" . }}
      key: WEBHOOK_SECRET_KEY
      {{- /* An existing Secret without it: the key is derived from JWT_SECRET, as before. */}}
      optional: true
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "bulwark.secretName" . }}
      key: REDIS_URL
      optional: true
{{- end }}

{{/* Where the pods read the active colour (ACTIVE_COLOR_FILE): a ConfigMap volume, updated in place. */}}
{{- define "bulwark.activeColorDir" -}}/etc/bulwark/active-color{{- end }}

{{/*
Share of traffic (0-100) each colour receives, from activeColor and canary.weight: the preview colour
gets the weight, the active colour the rest. Routes are written per colour from these, so promotion
from 100 % (blue active at weight 100 -> green active at weight 0) renders the same route: only the
stable and preview Services move. Call with (dict "ctx" $ "color" "blue").
*/}}
{{- define "bulwark.colorShare" -}}
{{- $w := int .ctx.Values.canary.weight }}
{{- if eq .color .ctx.Values.activeColor }}{{ sub 100 $w }}{{ else }}{{ $w }}{{ end }}
{{- end }}

{{/* Restricted Pod Security Standard (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted). */}}
{{- define "bulwark.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "bulwark.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* TRUST_PROXY: explicit, or the router's exact hop count: 1 behind the chart's router (it appends
the client it sees to X-Forwarded-For), false with no router. Never true (the service refuses it). */}}
{{- define "bulwark.trustProxy" -}}
{{- $v := .Values.config.trustProxy }}
{{- if kindIs "invalid" $v }}
{{- if eq .Values.trafficRouting.type "service" }}false{{ else }}1{{ end }}
{{- else if or (kindIs "float64" $v) (kindIs "int64" $v) (kindIs "int" $v) }}
{{- int64 $v }}
{{- else }}
{{- $v }}
{{- end }}
{{- end }}

{{/* Label matchers of this release's series in PromQL. */}}
{{- define "bulwark.promSelector" -}}
{{- if .Values.prometheusRule.selector }}
{{- .Values.prometheusRule.selector }}
{{- else }}
{{- if eq .Values.rollout.engine "argo" }}
{{- printf "namespace=%q,service=%q" .Release.Namespace (printf "%s-metrics" (include "bulwark.fullname" .)) }}
{{- else }}
{{- printf "namespace=%q,service=~%q" .Release.Namespace (printf "%s-(blue|green)" (include "bulwark.fullname" .)) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Base URL of the alerts' runbooks: prometheusRule.runbookBaseUrl, else the chart's home + /blob/main/docs/runbooks. */}}
{{- define "bulwark.runbookBaseUrl" -}}
{{- if .Values.prometheusRule.runbookBaseUrl }}
{{- trimSuffix "/" .Values.prometheusRule.runbookBaseUrl }}
{{- else }}
{{- printf "%s/blob/main/docs/runbooks" (trimSuffix "/" .Chart.Home) }}
{{- end }}
{{- end }}

{{/* Where the Rollout's pods read their own labels (ACTIVE_ROLE_FILE): a downward API volume. */}}
{{- define "bulwark.podInfoDir" -}}/etc/bulwark/pod{{- end }}

{{/* bulwark.serverSelectorLabels, called like bulwark.colorSelectorLabels (dict "ctx" $). */}}
{{- define "bulwark.serverSelectorLabelsOf" -}}
{{ include "bulwark.serverSelectorLabels" .ctx }}
{{- end }}

{{/*
The pod template of the application: the colour Deployments (engine bulwark) and the Argo Rollout
(engine argo) share it, so probes, security context, shutdown budget, resources and spread cannot
differ between the engines. Call with (dict "ctx" $ "color" "blue" "tag" $tag); "color" "" for the
Rollout, whose pods have no colour: they learn their role (stable or canary) from their own labels.
Nothing in it may depend on activeColor or canary.weight (promotion must restart nothing).
*/}}
{{- define "bulwark.podTemplate" -}}
{{- $ctx := .ctx }}
{{- $color := .color }}
{{- $tag := .tag }}
{{- $selector := ternary "bulwark.colorSelectorLabels" "bulwark.serverSelectorLabelsOf" (ne $color "") -}}
metadata:
  labels:
    {{- include $selector (dict "ctx" $ctx "color" $color) | nindent 4 }}
    app.kubernetes.io/version: {{ $tag | quote }}
    {{- with $ctx.Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # For a Prometheus that discovers pods (k8s/prometheus.yaml); the operator uses the ServiceMonitor.
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ int64 $ctx.Values.config.port | toString | quote }}
    prometheus.io/path: /metrics
    {{- with $ctx.Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  automountServiceAccountToken: false
  enableServiceLinks: false
  terminationGracePeriodSeconds: {{ include "bulwark.terminationGracePeriodSeconds" $ctx }}
  securityContext:
    {{- include "bulwark.podSecurityContext" $ctx | nindent 4 }}
  {{- with $ctx.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: api
      image: {{ printf "%s:%s" $ctx.Values.image.repository $tag | quote }}
      imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
      args: ["node", "dist/main.js"]
      ports:
        - name: http
          containerPort: {{ $ctx.Values.config.port }}
          protocol: TCP
      env:
        {{- if $color }}
        - name: RELEASE_COLOR
          value: {{ $color }}
        {{- end }}
        - name: APP_VERSION
          value: {{ $tag | quote }}
        - name: NODE_ENV
          value: {{ $ctx.Values.config.nodeEnv | quote }}
        - name: PORT
          value: {{ int64 $ctx.Values.config.port | toString | quote }}
        - name: MIGRATE_ON_BOOT
          value: "false"
        - name: LOG_LEVEL
          value: {{ $ctx.Values.config.logLevel | quote }}
        - name: SHUTDOWN_DELAY_MS
          value: {{ int64 $ctx.Values.config.shutdownDelayMs | toString | quote }}
        - name: SHUTDOWN_DRAIN_TIMEOUT_MS
          value: {{ mul (int64 $ctx.Values.shutdown.drainSeconds) 1000 | toString | quote }}
        - name: ACCESS_TOKEN_TTL
          value: {{ int64 $ctx.Values.config.accessTokenTtl | toString | quote }}
        - name: REFRESH_TOKEN_TTL
          value: {{ int64 $ctx.Values.config.refreshTokenTtl | toString | quote }}
        - name: RATE_LIMIT_PER_MINUTE
          value: {{ int64 $ctx.Values.config.rateLimitPerMinute | toString | quote }}
        - name: ORDER_RATE_LIMIT_PER_MINUTE
          value: {{ int64 $ctx.Values.config.orderRateLimitPerMinute | toString | quote }}
        - name: LOGIN_RATE_LIMIT_PER_MINUTE
          value: {{ int64 $ctx.Values.config.loginRateLimitPerMinute | toString | quote }}
        - name: DB_POOL_MAX
          value: {{ int64 $ctx.Values.config.dbPoolMax | toString | quote }}
        - name: CORS_ORIGINS
          value: {{ $ctx.Values.config.corsOrigins | quote }}
        - name: TRUST_PROXY
          value: {{ include "bulwark.trustProxy" $ctx | quote }}
        - name: WEBHOOKS_ALLOW_PRIVATE
          value: {{ $ctx.Values.config.webhooksAllowPrivate | quote }}
        {{- if $color }}
        # Background work (webhook dispatcher, scheduled purges) only while the mounted file
        # names this colour; re-read every ACTIVE_COLOR_POLL_MS, so promotion restarts nothing.
        - name: ACTIVE_COLOR_FILE
          value: {{ printf "%s/activeColor" (include "bulwark.activeColorDir" $ctx) | quote }}
        {{- else }}
        # Background work only while the pod's own labels (downward API, updated in place by the
        # kubelet) say bulwark.dev/role=stable: Argo Rollouts moves that label on promotion.
        - name: ACTIVE_ROLE_FILE
          value: {{ printf "%s/labels" (include "bulwark.podInfoDir" $ctx) | quote }}
        {{- end }}
        - name: ACTIVE_COLOR_POLL_MS
          value: {{ int64 $ctx.Values.config.activeColorPollMs | toString | quote }}
        {{- if or (and $color (eq (include "bulwark.faultsColor" $ctx) $color)) (and (not $color) $ctx.Values.faults.enabled) }}
        - name: FAULTS_ENABLED
          value: "true"
        - name: FAULT_ERROR_RATE
          value: {{ $ctx.Values.faults.errorRate | quote }}
        - name: FAULT_LATENCY_MS
          value: {{ int64 $ctx.Values.faults.latencyMs | toString | quote }}
        {{- end }}
        {{- include "bulwark.secretEnv" $ctx | nindent 8 }}
        {{- with $ctx.Values.config.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      startupProbe:
        httpGet:
          path: /health/live
          port: http
        periodSeconds: {{ $ctx.Values.probes.startup.periodSeconds }}
        failureThreshold: {{ $ctx.Values.probes.startup.failureThreshold }}
      livenessProbe:
        httpGet:
          path: /health/live
          port: http
        periodSeconds: {{ $ctx.Values.probes.liveness.periodSeconds }}
        timeoutSeconds: {{ $ctx.Values.probes.liveness.timeoutSeconds }}
        failureThreshold: {{ $ctx.Values.probes.liveness.failureThreshold }}
      readinessProbe:
        httpGet:
          path: /health/ready
          port: http
        periodSeconds: {{ $ctx.Values.probes.readiness.periodSeconds }}
        timeoutSeconds: {{ $ctx.Values.probes.readiness.timeoutSeconds }}
        failureThreshold: {{ $ctx.Values.probes.readiness.failureThreshold }}
      lifecycle:
        # Let endpoint removal reach routers and kube-proxy before SIGTERM; the app then reports
        # 503 for SHUTDOWN_DELAY_MS and drains (docs/operations.md, "Shutdown").
        preStop:
          sleep:
            seconds: {{ $ctx.Values.shutdown.preStopSleepSeconds }}
      resources:
        {{- toYaml $ctx.Values.resources | nindent 8 }}
      securityContext:
        {{- include "bulwark.containerSecurityContext" $ctx | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if $color }}
        # The whole directory, never subPath: a subPath mount is not updated when the ConfigMap changes.
        - name: active-color
          mountPath: {{ include "bulwark.activeColorDir" $ctx }}
          readOnly: true
        {{- else }}
        # The whole directory, never subPath: a subPath mount is not updated when the labels change.
        - name: pod-info
          mountPath: {{ include "bulwark.podInfoDir" $ctx }}
          readOnly: true
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if $color }}
    - name: active-color
      configMap:
        name: {{ include "bulwark.fullname" $ctx }}-active-color
    {{- else }}
    - name: pod-info
      downwardAPI:
        items:
          - path: labels
            fieldRef:
              fieldPath: metadata.labels
    {{- end }}
  {{- with $ctx.Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $ctx.Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  affinity:
    {{- if $ctx.Values.affinity }}
    {{- toYaml $ctx.Values.affinity | nindent 4 }}
    {{- else }}
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels:
                  {{- include $selector (dict "ctx" $ctx "color" $color) | nindent 16 }}
    {{- end }}
{{- end }}

{{/* Image tag of the Rollout (engine argo), refusing an empty or "latest" tag. */}}
{{- define "bulwark.argoTag" -}}
{{- $tag := toString .Values.rollout.argo.image.tag }}
{{- if or (eq $tag "") (eq $tag "latest") }}
{{- fail (printf "rollout.argo.image.tag must be an explicit version, not %q" $tag) }}
{{- end }}
{{- $tag }}
{{- end }}

{{/* The tag of the version being rolled out: the preview colour's, or the Rollout's (engine argo). */}}
{{- define "bulwark.incomingTag" -}}
{{- if eq .Values.rollout.engine "argo" }}
{{- include "bulwark.argoTag" . }}
{{- else }}
{{- include "bulwark.tag" (dict "ctx" . "color" (include "bulwark.previewColor" .)) }}
{{- end }}
{{- end }}

{{/* The tag of the serving version: the active colour's, or the Rollout's (engine argo). */}}
{{- define "bulwark.servingTag" -}}
{{- if eq .Values.rollout.engine "argo" }}
{{- include "bulwark.argoTag" . }}
{{- else }}
{{- include "bulwark.tag" (dict "ctx" . "color" .Values.activeColor) }}
{{- end }}
{{- end }}
