import { createApp } from 'vue'
import urql from '@urql/vue'
import App from './App.vue'
import { router } from './router'
import { i18n, currentLocale } from './i18n'
import { client } from './api/client'
import './style.css'

document.documentElement.lang = currentLocale()
createApp(App).use(i18n).use(router).use(urql, client).mount('#app')
